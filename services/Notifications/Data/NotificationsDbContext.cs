using Aimi.Messaging;
using Aimi.Notifications.Api.Domain;
using Aimi.Persistence;
using Aimi.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Aimi.Notifications.Api.Data;

public sealed class NotificationsDbContext(DbContextOptions<NotificationsDbContext> options) : DbContext(options)
{
    public const int TitleMaxLength = 200;

    public DbSet<EventSnapshot> Events => Set<EventSnapshot>();
    public DbSet<UserProfile> Users => Set<UserProfile>();
    public DbSet<HabitSnapshot> Habits => Set<HabitSnapshot>();
    public DbSet<NotificationSettings> Settings => Set<NotificationSettings>();
    public DbSet<WebhookSecret> WebhookSecrets => Set<WebhookSecret>();
    public DbSet<PushSubscription> PushSubscriptions => Set<PushSubscription>();
    public DbSet<Reminder> Reminders => Set<Reminder>();
    public DbSet<ReminderLog> ReminderLogs => Set<ReminderLog>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<EventSnapshot>(e =>
        {
            e.ToTable("events");
            e.HasKey(x => x.EventId);
            e.HasIndex(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Type).HasMaxLength(30);
            e.Property(x => x.Title).HasMaxLength(TitleMaxLength);
            e.Property(x => x.Status).HasMaxLength(30);
            e.Ignore(x => x.Anchor);
        });

        modelBuilder.Entity<UserProfile>(e =>
        {
            e.ToTable("user_profiles");
            e.HasKey(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.DisplayName).HasMaxLength(100);
            e.Property(x => x.TimeZone).HasMaxLength(64);
            e.Property(x => x.Locale).HasMaxLength(35);
            e.Property(x => x.Email).HasMaxLength(320);
            e.Property(x => x.WebhookUrl).HasMaxLength(2000);
        });

        modelBuilder.Entity<HabitSnapshot>(e =>
        {
            e.ToTable("habits");
            e.HasKey(x => x.HabitId);
            e.HasIndex(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Title).HasMaxLength(TitleMaxLength);
            e.Property(x => x.Cadence).HasMaxLength(100);
            e.Property(x => x.Status).HasMaxLength(20);
            e.Property(x => x.TimeZone).HasMaxLength(64);
        });

        modelBuilder.Entity<NotificationSettings>(e =>
        {
            e.ToTable("notification_settings");
            e.HasKey(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Channels)
                .HasConversion(v => v.Select(c => WireName.Of(c)).ToArray(), v => v.Select(WireName.Parse<Channel>).ToArray(),
                    new ValueComparer<Channel[]>((a, b) => a!.SequenceEqual(b!), v => v.Aggregate(0, (h, c) => HashCode.Combine(h, c)), v => v.ToArray()));
        });

        modelBuilder.Entity<WebhookSecret>(e =>
        {
            e.ToTable("webhook_secrets");
            e.HasKey(x => x.UserId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Secret).HasMaxLength(100);
        });

        modelBuilder.Entity<PushSubscription>(e =>
        {
            e.ToTable("push_subscriptions");
            e.HasIndex(x => new { x.UserId, x.Endpoint }).IsUnique();
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Endpoint).HasMaxLength(2000);
            e.Property(x => x.P256dh).HasMaxLength(200);
            e.Property(x => x.Auth).HasMaxLength(100);
        });

        modelBuilder.Entity<Reminder>(e =>
        {
            e.ToTable("reminder_queue");
            // One reminder per event, kind, offset and channel: planning twice (redelivery, re-plan) finds the same row.
            e.HasIndex(x => new { x.EventId, x.Kind, x.Offset, x.Channel }).IsUnique();
            // The dispatcher's scan: the earliest due waiting rows, and leases that ran out.
            e.HasIndex(x => x.DueAt).HasDatabaseName("ix_reminder_queue_due").HasFilter("status = 'scheduled'");
            e.HasIndex(x => x.LeaseUntil).HasDatabaseName("ix_reminder_queue_lease").HasFilter("status = 'sending'");
            e.HasIndex(x => new { x.UserId, x.EventId });
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Title).HasMaxLength(TitleMaxLength);
            e.Property(x => x.Kind).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.Channel).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.Status).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.LastError).HasMaxLength(2000);
            e.Property(x => x.IdempotencyKey).HasMaxLength(50)
                .HasComputedColumnSql("replace(id::text, '-', '') || '.' || generation::text", stored: true);
            e.Ignore(x => x.IsOpen);
        });

        modelBuilder.Entity<ReminderLog>(e =>
        {
            e.ToTable("reminder_logs");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.HasIndex(x => new { x.UserId, x.At });
            e.HasIndex(x => x.ReminderId);
            e.Property(x => x.UserId).HasMaxLength(200);
            e.Property(x => x.Kind).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.Channel).HasSnakeCaseConversion().HasMaxLength(20);
            e.Property(x => x.Outcome).HasMaxLength(20);
            e.Property(x => x.Error).HasMaxLength(2000);
            e.Property(x => x.ProviderResponseId).HasMaxLength(500);
            e.Property(x => x.IdempotencyKey).HasMaxLength(100);
            e.Property(x => x.DispatchedBy).HasMaxLength(100);
        });

        modelBuilder.AddMessagingTables();
        modelBuilder.AddErasedUsers();
    }
}
