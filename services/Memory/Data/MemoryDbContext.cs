using Aimi.Persistence;
using System.Text.Json;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using NpgsqlTypes;

namespace Aimi.Memory.Api.Data;

public sealed class MemoryDbContext(DbContextOptions<MemoryDbContext> options) : DbContext(options)
{
    public const int Dimensions = 384;
    public const int UserIdMaxLength = 200;
    public const int ContentMaxLength = 4000;

    /// <summary>English and Russian stems together, so one query finds "interviews" and "собеседования" alike.</summary>
    public const string SearchVectorSql = "to_tsvector('english', content) || to_tsvector('russian', content)";

    public DbSet<MemoryItem> Memories => Set<MemoryItem>();
    public DbSet<Summary> Summaries => Set<Summary>();
    public DbSet<GraphNode> Nodes => Set<GraphNode>();
    public DbSet<GraphEdge> Edges => Set<GraphEdge>();
    public DbSet<UserState> States => Set<UserState>();
    public DbSet<ConversationImport> Imports => Set<ConversationImport>();
    public DbSet<MemoryStats> Stats => Set<MemoryStats>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");

        modelBuilder.Entity<MemoryItem>(e =>
        {
            e.ToTable("memories");
            e.Property(m => m.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(m => m.Kind).HasSnakeCaseConversion();
            e.Property(m => m.Content).HasMaxLength(ContentMaxLength);
            e.Property(m => m.Embedding).HasColumnType($"vector({Dimensions})");
            e.Property(m => m.Subject).HasMaxLength(200);
            e.Property(m => m.Predicate).HasMaxLength(100);
            e.Property(m => m.Value).HasMaxLength(300);
            e.Property<NpgsqlTsVector>("SearchVector").HasColumnName("search_vector").HasComputedColumnSql(SearchVectorSql, stored: true);
            e.HasIndex("SearchVector").HasMethod("gin").HasDatabaseName("ix_memories_search_vector");
            e.HasIndex(m => m.Embedding).HasMethod("hnsw").HasOperators("vector_cosine_ops").HasDatabaseName("ix_memories_embedding_hnsw");
            e.HasIndex(m => new { m.UserId, m.IsActive, m.Kind });
            // Supersession looks up the current value of a subject's predicate.
            e.HasIndex(m => new { m.UserId, m.Subject, m.Predicate }).HasFilter("is_active AND predicate IS NOT NULL");
            e.HasIndex(m => new { m.UserId, m.RecordedAt });
        });

        modelBuilder.Entity<Summary>(e =>
        {
            e.ToTable("summaries");
            e.Property(s => s.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(s => s.Narrative).HasMaxLength(ContentMaxLength);
            e.Property(s => s.Mood).HasMaxLength(30);
            // One summary per session: a republished session end is not summarised twice.
            e.HasIndex(s => new { s.UserId, s.SessionId }).IsUnique();
            e.HasIndex(s => new { s.UserId, s.EndedAt });
        });

        modelBuilder.Entity<GraphNode>(e =>
        {
            e.ToTable("graph_nodes");
            e.Property(n => n.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(n => n.Kind).HasSnakeCaseConversion();
            e.Property(n => n.Key).HasMaxLength(300);
            e.Property(n => n.Label).HasMaxLength(300);
            e.Property(n => n.Status).HasMaxLength(30);
            e.HasIndex(n => new { n.UserId, n.Kind, n.Key }).IsUnique();
        });

        modelBuilder.Entity<GraphEdge>(e =>
        {
            e.ToTable("graph_edges");
            e.Property(x => x.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(x => x.Label).HasMaxLength(50);
            e.HasOne<GraphNode>().WithMany().HasForeignKey(x => x.FromNodeId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<GraphNode>().WithMany().HasForeignKey(x => x.ToNodeId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.UserId, x.FromNodeId, x.ToNodeId, x.Label }).IsUnique();
            e.HasIndex(x => x.ToNodeId);
        });

        modelBuilder.Entity<UserState>(e =>
        {
            e.ToTable("user_state");
            e.HasKey(s => s.UserId);
            e.Property(s => s.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(s => s.LastSummary).HasMaxLength(ContentMaxLength);
            e.Property(s => s.ActiveGoals).HasJsonConversion();
            e.Property(s => s.PendingItems).HasJsonConversion();
            e.Property(s => s.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<ConversationImport>(e =>
        {
            e.ToTable("conversation_imports");
            e.Property(i => i.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(i => i.ConversationId).HasMaxLength(200);
            e.Property(i => i.Status).HasSnakeCaseConversion();
            e.Property(i => i.Transcript).HasColumnType("jsonb");
            e.Property(i => i.Error).HasMaxLength(2000);
            e.HasIndex(i => new { i.UserId, i.ConversationId }).IsUnique();
            e.HasIndex(i => i.CreatedAt).HasFilter("status = 'queued'").HasDatabaseName("ix_conversation_imports_queued");
        });

        modelBuilder.Entity<MemoryStats>(e =>
        {
            e.ToTable("memory_stats");
            e.HasKey(s => s.UserId);
            e.Property(s => s.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(s => s.Goals).HasJsonConversion();
        });

        modelBuilder.AddMessagingTables();
    }
}

internal static class JsonColumns
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>A small list of records stored as one jsonb value (read and written whole).</summary>
    public static PropertyBuilder<List<T>> HasJsonConversion<T>(this PropertyBuilder<List<T>> property) =>
        property.HasColumnType("jsonb").HasConversion(
            v => JsonSerializer.Serialize(v, Options),
            v => JsonSerializer.Deserialize<List<T>>(v, Options) ?? new List<T>(),
            new ValueComparer<List<T>>(
                (a, b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options),
                v => JsonSerializer.Serialize(v, Options).GetHashCode(StringComparison.Ordinal),
                v => JsonSerializer.Deserialize<List<T>>(JsonSerializer.Serialize(v, Options), Options)!));
}
