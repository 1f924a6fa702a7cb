using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Aimi.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Data;

public sealed class GoalsDbContext(DbContextOptions<GoalsDbContext> options) : DbContext(options)
{
    public const int TitleMaxLength = 200;
    public const int TextMaxLength = 4000;

    public DbSet<User> Users => Set<User>();
    public DbSet<Goal> Goals => Set<Goal>();
    public DbSet<Habit> Habits => Set<Habit>();
    public DbSet<EventItem> Events => Set<EventItem>();
    public DbSet<EventHistoryEntry> EventHistory => Set<EventHistoryEntry>();
    public DbSet<IdempotentRequest> IdempotentRequests => Set<IdempotentRequest>();
    public DbSet<ContactVerification> ContactVerifications => Set<ContactVerification>();
    public DbSet<AccountErasure> Erasures => Set<AccountErasure>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(e =>
        {
            e.ToTable("users");
            e.HasIndex(u => u.ExternalSubject).IsUnique();
            e.Property(u => u.ExternalSubject).HasMaxLength(200);
            e.Property(u => u.DisplayName).HasMaxLength(100);
            e.Property(u => u.TimeZone).HasMaxLength(64);
            e.Property(u => u.Locale).HasMaxLength(35);
            e.Property(u => u.NotifyEmail).HasMaxLength(320);
            e.Property(u => u.NotifyWebhookUrl).HasMaxLength(2000);
            e.Property(u => u.Settings).HasColumnType("jsonb");
            e.Property(u => u.EmailStatus).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(u => u.WebhookStatus).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(u => u.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<Goal>(e =>
        {
            e.ToTable("goals");
            e.HasOne<User>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(g => new { g.UserId, g.Status });
            e.Property(g => g.Title).HasMaxLength(TitleMaxLength);
            e.Property(g => g.Description).HasMaxLength(TextMaxLength);
            e.Property(g => g.Status).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(g => g.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<Habit>(e =>
        {
            e.ToTable("habits");
            e.HasOne<User>().WithMany().HasForeignKey(h => h.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Goal>().WithMany().HasForeignKey(h => h.GoalId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(h => new { h.UserId, h.Status });
            e.Property(h => h.Title).HasMaxLength(TitleMaxLength);
            e.Property(h => h.Cadence).HasMaxLength(100);
            e.Property(h => h.Status).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(h => h.Version).IsConcurrencyToken();
        });

        modelBuilder.Entity<EventItem>(e =>
        {
            e.ToTable("events");
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Goal>().WithMany().HasForeignKey(x => x.GoalId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<Habit>().WithMany().HasForeignKey(x => x.HabitId).OnDelete(DeleteBehavior.SetNull);
            e.HasIndex(x => new { x.UserId, x.StartsAt });
            e.HasIndex(x => new { x.UserId, x.DueAt });
            e.HasIndex(x => new { x.UserId, x.Status });
            // The assistant retries a tool call after a timeout: one chat message creates one item.
            e.HasIndex(x => new { x.UserId, x.SourceMessageId }).IsUnique().HasFilter("source_message_id IS NOT NULL");
            e.Property(x => x.Title).HasMaxLength(TitleMaxLength);
            e.Property(x => x.Notes).HasMaxLength(TextMaxLength);
            e.Property(x => x.Type).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.Status).HasSnakeCaseConversion().HasMaxLength(30);
            e.Property(x => x.Source).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.SourceMessageId).HasMaxLength(100);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.When);
            e.Ignore(x => x.Confirmed);
        });

        modelBuilder.Entity<EventHistoryEntry>(e =>
        {
            e.ToTable("event_history");
            e.HasOne<EventItem>().WithMany().HasForeignKey(h => h.EventId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(h => new { h.EventId, h.Id });
            e.Property(h => h.Id).UseIdentityAlwaysColumn();
            e.Property(h => h.FromStatus).HasSnakeCaseConversion().HasMaxLength(30);
            e.Property(h => h.ToStatus).HasSnakeCaseConversion().HasMaxLength(30);
            e.Property(h => h.Actor).HasMaxLength(20);
            e.Property(h => h.Reason).HasMaxLength(500);
            e.Property(h => h.Payload).HasColumnType("jsonb");
        });

        modelBuilder.Entity<IdempotentRequest>(e =>
        {
            e.ToTable("idempotent_requests");
            e.HasKey(r => new { r.Subject, r.Key });
            e.Property(r => r.Subject).HasMaxLength(200);
            e.Property(r => r.Key).HasMaxLength(Endpoints.Idempotency.MaxKeyLength);
            e.Property(r => r.Fingerprint).HasMaxLength(64);
            e.Property(r => r.ContentType).HasMaxLength(200);
            e.Property(r => r.Location).HasMaxLength(2000);
            e.HasIndex(r => r.CreatedAt); // the sweep of expired keys
        });

        modelBuilder.Entity<ContactVerification>(e =>
        {
            e.ToTable("contact_verifications");
            e.HasKey(v => new { v.UserId, v.Channel });
            e.HasOne<User>().WithMany().HasForeignKey(v => v.UserId).OnDelete(DeleteBehavior.Cascade);
            e.Property(v => v.Channel).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(v => v.Target).HasMaxLength(2000);
            e.Property(v => v.CodeHash).HasMaxLength(64);
            e.Property(v => v.LastError).HasMaxLength(500);
            e.Property(v => v.RowVersion).IsRowVersion();
        });

        modelBuilder.Entity<AccountErasure>(e =>
        {
            e.ToTable("account_erasures");
            e.Property(x => x.Subject).HasMaxLength(200);
            e.HasIndex(x => new { x.Subject, x.RequestedAt });
            // One erasure under way per user, whatever the number of replicas.
            e.HasIndex(x => x.Subject).IsUnique().HasFilter("completed_at IS NULL").HasDatabaseName("ux_account_erasures_one_pending");
            e.HasMany(x => x.Steps).WithOne().HasForeignKey(s => s.ErasureId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AccountErasureStep>(e =>
        {
            e.ToTable("account_erasure_steps");
            e.HasKey(x => new { x.ErasureId, x.Service });
            e.Property(x => x.Service).HasMaxLength(30);
        });

        modelBuilder.AddMessagingTables();
    }
}
