using Aimi.Chat.Api.Domain;
using Aimi.Messaging;
using Aimi.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Data;

public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<ChatSession> Sessions => Set<ChatSession>();
    public DbSet<ChatMessage> Messages => Set<ChatMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ChatSession>(e =>
        {
            e.ToTable("chat_sessions");
            e.Property(s => s.UserId).HasMaxLength(200);
            e.Property(s => s.Status).HasSnakeCaseConversion();
            e.Property(s => s.EndReason).HasSnakeCaseConversion();
            e.Property(s => s.StartingContext).HasColumnType("jsonb");
            // At most one active session per user, whatever the number of replicas.
            e.HasIndex(s => s.UserId).IsUnique().HasFilter("status = 'active'").HasDatabaseName("ux_chat_sessions_one_active_per_user");
            e.HasIndex(s => new { s.Status, s.LastActivityAt });
            e.HasIndex(s => new { s.UserId, s.StartedAt });
        });

        modelBuilder.Entity<ChatMessage>(e =>
        {
            e.ToTable("chat_messages");
            e.HasOne<ChatSession>().WithMany().HasForeignKey(m => m.SessionId).OnDelete(DeleteBehavior.Cascade);
            e.Property(m => m.UserId).HasMaxLength(200);
            e.Property(m => m.Role).HasSnakeCaseConversion();
            e.Property(m => m.Content).HasMaxLength(ChatMessage.MaxContentLength * 4);
            e.Property(m => m.ClientMessageId).HasMaxLength(100);
            e.Property(m => m.Metadata).HasColumnType("jsonb");
            e.Property(m => m.Sequence).UseIdentityAlwaysColumn();
            e.HasIndex(m => new { m.SessionId, m.Sequence });
            e.HasIndex(m => new { m.UserId, m.ClientMessageId }).IsUnique().HasFilter("client_message_id IS NOT NULL");
            e.HasIndex(m => m.ReplyToId).IsUnique().HasFilter("reply_to_id IS NOT NULL");
        });

        modelBuilder.AddMessagingTables();
        modelBuilder.AddErasedUsers();
    }
}
