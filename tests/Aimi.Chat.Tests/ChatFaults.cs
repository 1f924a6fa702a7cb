using System.Data.Common;
using Aimi.Chat.Api.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Aimi.Chat.Tests;

/// <summary>
/// Puts the races the tests need into the real database path, each once: a session that ends (as the idle sweep on
/// another replica would end it) right before a given message is stored, or a store that fails.
/// </summary>
public sealed class ChatFaults : DbCommandInterceptor, IDbTransactionInterceptor
{
    private string? _endSessionBefore;
    private string? _failStoring;
    private DbTransaction? _failingCommit;

    public int SessionsEnded { get; private set; }
    public int StoresFailed { get; private set; }

    /// <summary>The next time a message with this content is stored, its session is ended first, in the same transaction.</summary>
    public void EndSessionBeforeStoring(string content) => _endSessionBefore = content;

    /// <summary>
    /// The next time a message with this content is stored, the store fails and nothing of it is written: the statement itself when
    /// it is its own transaction (a turn's append), else the commit of the transaction around it (a consumer's).
    /// </summary>
    public void FailStoring(string content) => _failStoring = content;

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (command.CommandText.Contains("INSERT INTO chat_messages", StringComparison.Ordinal))
        {
            if (_endSessionBefore is { } ending && Stores(command, ending))
            {
                _endSessionBefore = null;
                await using var end = command.Connection!.CreateCommand();
                end.Transaction = command.Transaction;
                // Ends every active session of the message's user: the one the message is about to go into.
                end.CommandText = "UPDATE chat_sessions SET status = 'ended', ended_at = now(), end_reason = 'idle' WHERE status = 'active' AND user_id = @user";
                var user = end.CreateParameter();
                user.ParameterName = "user";
                user.Value = UserOf(command);
                end.Parameters.Add(user);
                SessionsEnded += await end.ExecuteNonQueryAsync(cancellationToken);
            }
            if (_failStoring is { } failing && Stores(command, failing))
            {
                _failStoring = null;
                if (command.Transaction is null)
                {
                    StoresFailed++;
                    throw new InvalidOperationException("Injected failure of a message's store.");
                }
                _failingCommit = command.Transaction; // that very transaction, not whichever commits next
            }
        }
        return result;
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (_failingCommit is not null && ReferenceEquals(Interlocked.CompareExchange(ref _failingCommit, null, transaction), transaction))
        {
            StoresFailed++;
            throw new InvalidOperationException("Injected commit failure.");
        }
        return ValueTask.FromResult(result);
    }

    private static bool Stores(DbCommand command, string content) => command.Parameters.Cast<DbParameter>().Any(p => p.Value as string == content);

    // Test users are "user-…" (TestAuth.NewUserId); the append statement carries the message's user id as a parameter.
    private static object UserOf(DbCommand command) =>
        command.Parameters.Cast<DbParameter>().First(p => p.Value is string s && s.StartsWith("user-", StringComparison.Ordinal)).Value!;
}

/// <summary>A Chat host whose database path carries <see cref="ChatFaults"/>.</summary>
public sealed class FaultyChatHost : ChatHost
{
    public ChatFaults Faults { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.ConfigureDbContext<ChatDbContext>(options => options.AddInterceptors(Faults)));
    }
}
