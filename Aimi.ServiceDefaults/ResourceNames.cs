namespace Aimi.ServiceDefaults;

/// <summary>
/// Names of the resources in the topology, shared by the AppHost and the services so a rename cannot drift.
/// They double as connection-string names (<c>ConnectionStrings__goalsdb</c>) and service-discovery names
/// (<c>services__goals-api__http__0</c>), exactly as an Aspire AppHost passes them.
/// </summary>
public static class ResourceNames
{
    public const string Gateway = "gateway";
    public const string ChatApi = "chat-api";
    public const string GoalsApi = "goals-api";
    public const string MemoryApi = "memory-api";
    public const string NotificationsApi = "notifications-api";
    public const string Web = "web";

    public const string Postgres = "postgres";
    public const string ChatDb = "chatdb";
    public const string GoalsDb = "goalsdb";
    public const string MemoryDb = "memorydb";
    public const string NotificationsDb = "notificationsdb";
    public const string Redis = "redis";
    public const string RabbitMq = "rabbitmq";
}
