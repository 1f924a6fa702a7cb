using Aimi.Persistence;
using System.Collections;
using System.Text.Json;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aimi.Memory.Api.Data;

public sealed class MemoryDbContext(DbContextOptions<MemoryDbContext> options) : DbContext(options)
{
    public const int Dimensions = 384;
    public const int UserIdMaxLength = 200;
    public const int ContentMaxLength = 4000;
    /// <summary>The longest message id a memory cites (an imported line's own id; a chat message's is a Guid).</summary>
    public const int MessageIdMaxLength = 100;

    /// <summary>
    /// The sign bits of the embedding (48 bytes instead of 1,536): the per-user scan compares these by Hamming distance and
    /// re-ranks the best few hundred by exact cosine, so it reads a small index instead of every wide row (ADR 0007).
    /// </summary>
    public const string EmbeddingBitsSql = "binary_quantize(embedding)::bit(384)";

    public DbSet<MemoryItem> Memories => Set<MemoryItem>();
    public DbSet<MemoryText> MemoryTexts => Set<MemoryText>();
    public DbSet<Summary> Summaries => Set<Summary>();
    public DbSet<GraphNode> Nodes => Set<GraphNode>();
    public DbSet<GraphEdge> Edges => Set<GraphEdge>();
    public DbSet<UserState> States => Set<UserState>();
    public DbSet<ConversationImport> Imports => Set<ConversationImport>();
    public DbSet<MemoryStats> Stats => Set<MemoryStats>();
    public DbSet<ForgottenMessage> ForgottenMessages => Set<ForgottenMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");
        // A GIN index on (user_id, search_vector): full-text lookups read only the user's postings, not every user's.
        modelBuilder.HasPostgresExtension("btree_gin");

        modelBuilder.Entity<MemoryText>(e =>
        {
            e.ToTable("memory_texts");
            e.HasKey(t => t.MemoryId);
            e.Property(t => t.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(t => t.Kind).HasSnakeCaseConversion();
            e.HasOne<MemoryItem>().WithOne().HasForeignKey<MemoryText>(t => t.MemoryId).OnDelete(DeleteBehavior.Cascade);
            // No pending list (fastupdate off): with it, new rows waited in an unsorted list of up to 4 MB that every full-text lookup of
            // every user read whole (a one-word lookup at 1M memories read 506 pages in 27 ms, against a few pages when empty).
            e.HasIndex(t => new { t.UserId, t.SearchVector }).HasMethod("gin").HasStorageParameter("fastupdate", false);
        });

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
            e.Property(m => m.Context).HasMaxLength(ContentMaxLength);
            e.Property(m => m.Role).HasMaxLength(20);
            e.Property(m => m.Speaker).HasMaxLength(100);
            e.Property<BitArray>("EmbeddingBits").HasColumnName("embedding_bits").HasColumnType($"bit({Dimensions})")
                .HasComputedColumnSql(EmbeddingBitsSql, stored: true);
            // No HNSW index: the default vector half (Quantized) never reads one, and keeping it cost every insert 2+ ms of
            // PostgreSQL's CPU (issue 17). VectorMode=Hnsw needs it created by hand (ADR 0007).
            // Covers the quantized scan (an index-only scan: user, filters, id and bits, no heap row).
            e.HasIndex(m => new { m.UserId, m.IsActive, m.Kind }).IncludeProperties("Id", "EmbeddingBits");
            // The context's most reinforced current facts, and its latest situations when there is no message yet, without sorting the user's rows.
            e.HasIndex(m => new { m.UserId, m.ReinforcementCount, m.ValidFrom }).IsDescending(false, true, true)
                .HasFilter("is_active AND kind = 'fact'").HasDatabaseName("ix_memories_current_facts");
            e.HasIndex(m => new { m.UserId, m.ValidFrom }).IsDescending(false, true)
                .HasFilter("is_active AND kind IN ('summary', 'note')").HasDatabaseName("ix_memories_current_situations");
            // Supersession looks up the current value of a subject's predicate.
            e.HasIndex(m => new { m.UserId, m.Subject, m.Predicate }).HasFilter("is_active AND predicate IS NOT NULL");
            e.HasIndex(m => new { m.UserId, m.RecordedAt });
            // ux_memories_episode_source (a message is one episode, by user, session and message id) is made in SQL by its migration: EF
            // cannot index an array column.
            // Whether a found summary or episode repeats a superseded fact: the user's few superseded facts, found without reading the rest.
            e.HasIndex(m => m.UserId).HasFilter("kind = 'fact' AND superseded_by IS NOT NULL").HasDatabaseName("ix_memories_superseded_facts");
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
            // When the user's last import ended (whose turn it is next), and what the user imported in the last day (the quota).
            e.HasIndex(i => new { i.UserId, i.ProcessedAt });
            e.HasIndex(i => new { i.UserId, i.CreatedAt });
        });

        modelBuilder.Entity<MemoryStats>(e =>
        {
            e.ToTable("memory_stats");
            e.HasKey(s => s.UserId);
            e.Property(s => s.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(s => s.Goals).HasJsonConversion();
        });

        modelBuilder.Entity<ForgottenMessage>(e =>
        {
            e.ToTable("forgotten_messages");
            e.HasKey(f => new { f.UserId, f.MessageId });
            e.Property(f => f.UserId).HasMaxLength(UserIdMaxLength);
            e.Property(f => f.MessageId).HasMaxLength(MessageIdMaxLength);
        });

        modelBuilder.AddMessagingTables();
        modelBuilder.AddErasedUsers();
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
