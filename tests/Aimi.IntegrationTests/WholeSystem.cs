namespace Aimi.IntegrationTests;

/// <summary>
/// Each of these classes starts a whole system of its own (PostgreSQL, Redis, RabbitMQ, five services, the gateway) or stops
/// one with SIGTERM. They run one class after another: side by side they would share two cores four ways, and a stop timed
/// under that load measures the load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WholeSystem
{
    public const string Name = "Whole system";
}
