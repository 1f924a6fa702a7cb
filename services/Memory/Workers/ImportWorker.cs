using System.Text.Json;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults.Workers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Memory.Api.Workers;

public sealed class ImportOptions
{
    /// <summary>How often the worker looks for imports nobody woke it for (queued through another replica); a queued import wakes this replica's worker at once.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How many imports a user may have queued (or being processed) at once.</summary>
    public int MaxQueuedPerUser { get; set; } = 5;

    /// <summary>How many bytes of message content a user may import in any 24 hours.</summary>
    public long MaxBytesPerDay { get; set; } = 20 * 1024 * 1024;
}

/// <summary>Wakes the import worker of this replica when an import is queued (others find it on their next poll).</summary>
public sealed class ImportSignal : WakeUpSignal;

/// <summary>
/// Runs queued imports through the same pipeline as a chat session. Each import is claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> in the transaction that processes it, so replicas never process one twice and a crash
/// leaves it queued; a failing import is retried, then marked failed with its error. Users take turns: the next import is
/// the oldest of the user whose last import ended longest ago (or who never had one), so one user's long queue does not
/// hold up another's single import. An ended import keeps its status and error, not its transcript.
/// </summary>
public sealed partial class ImportWorker(IServiceScopeFactory scopes, ImportSignal signal, TimeProvider time, IOptions<ImportOptions> options, ILogger<ImportWorker> logger)
    : BackgroundLoop(time, logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override string LoopName => "Import worker";

    // One import a pass; when none is queued, sleep until one is (here) or until the poll (another replica's).
    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken) =>
        await ProcessOneAsync(stoppingToken) ? LoopWait.None : LoopWait.For(options.Value.PollInterval);

    protected override Task WaitAsync(LoopWait wait, CancellationToken stoppingToken) => signal.WaitAsync(wait.Delay, Time, stoppingToken);

    /// <summary>Processes the next queued import (users in turn, each user's oldest first); false when there was none.</summary>
    public async Task<bool> ProcessOneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        Guid claimedId;
        Exception failure;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // A user never served comes first (NULLS FIRST); an import being processed elsewhere is locked and skipped.
            var claimed = await db.Imports
                .FromSql($"""
                    SELECT i.* FROM conversation_imports AS i
                    WHERE i.status = 'queued'
                    ORDER BY (SELECT max(e.processed_at) FROM conversation_imports AS e WHERE e.user_id = i.user_id) NULLS FIRST, i.created_at, i.id
                    LIMIT 1
                    FOR UPDATE OF i SKIP LOCKED
                    """)
                .ToListAsync(cancellationToken);
            if (claimed is not [var import])
            {
                return false;
            }
            claimedId = import.Id;
            // A forget or an erasure of this user is under way: it deletes this import, so leave it to that (and do not wait here
            // holding the row it waits for).
            if (!await db.TryLockForWritingAsync(import.UserId, cancellationToken))
            {
                return false;
            }
            try
            {
                var transcript = import.Transcript ?? throw new InvalidDataException("A queued import without its transcript.");
                var lines = JsonSerializer.Deserialize<List<ConversationLine>>(transcript, Json) ?? [];
                var writer = scope.ServiceProvider.GetRequiredService<MemoryWriter>();
                var now = Time.GetUtcNow();
                await writer.RememberConversationAsync(import.UserId, import.Id, lines, UserStateReasons.ConversationImported, now, cancellationToken);
                import.MarkProcessed(now);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return true;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogImportFailed(logger, e, import.Id);
                failure = e;
            }
        }
        // Disposing the transaction rolled it back (or found it ended with a broken connection) and released the claimed row.
        await RecordFailureAsync(claimedId, failure, cancellationToken);
        return true;
    }

    // The failed transaction is gone: count the attempt in a fresh scope.
    private async Task RecordFailureAsync(Guid id, Exception error, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        var import = await db.Imports.SingleAsync(i => i.Id == id, cancellationToken);
        var message = $"{error.GetType().Name}: {error.Message}";
        import.RecordFailure(message[..Math.Min(2000, message.Length)], options.Value.MaxAttempts, Time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {ImportId} failed")]
    private static partial void LogImportFailed(ILogger logger, Exception exception, Guid importId);
}
