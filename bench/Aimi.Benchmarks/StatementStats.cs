using Npgsql;

namespace Aimi.Benchmarks;

/// <summary>
/// What a measured window cost PostgreSQL in statements and transactions, per service database, from <c>pg_stat_statements</c>
/// (loaded by the AppHost when the benchmark starts it) and <c>pg_stat_database</c>: reset at the start, read at the end. It
/// counts every statement the services ran in the window, the consumers' and background loops' included, so "per operation"
/// is the window's total divided by the operations, like the CPU table.
/// </summary>
public sealed class StatementStats
{
    private const int MostStatementsShown = 25;

    private readonly string _connectionString;
    private readonly Dictionary<string, long> _transactions;

    private StatementStats(string connectionString, Dictionary<string, long> transactions)
    {
        _connectionString = connectionString;
        _transactions = transactions;
    }

    /// <summary>Starts a window on the server of <paramref name="connectionString"/> (a superuser's, on any database).</summary>
    public static async Task<StatementStats> StartAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection))
        {
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }
        return new StatementStats(connectionString, await TransactionsAsync(connection, cancellationToken));
    }

    /// <summary>
    /// The window's figures per operation: each database's statements, transactions, execution and planning time and, given each
    /// process's CPU over the window (<see cref="ProcessCpu.Stop"/>), the CPU of the backends serving it; then each one's frequent
    /// statements.
    /// </summary>
    public async Task<IReadOnlyList<string>> StopAsync(int operations, string operation, IReadOnlyDictionary<int, double>? cpuByProcess,
        CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        var transactions = await TransactionsAsync(connection, cancellationToken);
        var backends = await BackendsAsync(connection, cancellationToken);
        var statements = new List<(string Database, long Calls, double Ms, double PlanMs, string Query)>();
        await using (var read = new NpgsqlCommand(
            """
            SELECT d.datname, s.calls, s.total_exec_time, s.total_plan_time, s.query
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname <> current_database()
            """, connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                statements.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetString(4)));
            }
        }

        double per = Math.Max(operations, 1);
        var lines = new List<string>
        {
            $"postgres   statements and transactions per {operation} (pg_stat_statements; execution and planning time are the server's, not the wire's;"
            + " CPU is that of the backends connected to each database at the end, from /proc)",
        };
        var databases = statements.GroupBy(s => s.Database).OrderByDescending(g => g.Sum(s => s.Calls)).ToList();
        double CpuOf(Func<string, bool> database) => cpuByProcess is null ? 0
            : backends.Where(b => database(b.Value)).Sum(b => cpuByProcess.GetValueOrDefault(b.Key));
        foreach (var database in databases)
        {
            var committed = transactions.GetValueOrDefault(database.Key) - _transactions.GetValueOrDefault(database.Key);
            var cpu = cpuByProcess is null ? "" : $"  {CpuOf(d => d == database.Key) / per,6:0.00} ms CPU";
            lines.Add($"  {database.Key,-16} {database.Sum(s => s.Calls) / per,6:0.0} statements  {committed / per,5:0.0} transactions (each statement outside one counts)"
                + $"  {database.Sum(s => s.Ms) / per,6:0.00} ms executing  {database.Sum(s => s.PlanMs) / per,6:0.00} ms planning{cpu}");
        }
        if (cpuByProcess is not null)
        {
            // The server's own processes (checkpointer, WAL writer, autovacuum…) and the benchmark's backends.
            var served = databases.Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
            lines.Add($"  {"other backends",-16} {CpuOf(d => !served.Contains(d)) / per,6:0.00} ms CPU (server processes, this benchmark's own connections)");
        }
        // What a service runs for each operation, not what it ran once: statements seen at least once per ten operations.
        foreach (var database in databases)
        {
            lines.Add($"  {database.Key}: calls per {operation}, mean ms executing, mean ms planning");
            foreach (var statement in database.Where(s => s.Calls >= per / 10).OrderByDescending(s => s.Calls).Take(MostStatementsShown))
            {
                lines.Add($"    {statement.Calls / per,5:0.00} {statement.Ms / statement.Calls,7:0.000} {statement.PlanMs / statement.Calls,7:0.000}  {OneLine(statement.Query)}");
            }
        }
        return lines;
    }

    private static async Task<Dictionary<string, long>> TransactionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var transactions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var read = new NpgsqlCommand("SELECT datname, xact_commit + xact_rollback FROM pg_stat_database WHERE datname IS NOT NULL", connection);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            transactions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return transactions;
    }

    /// <summary>Every server process now: its id and the database it is connected to ("" for the server's own processes).</summary>
    private static async Task<Dictionary<int, string>> BackendsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var backends = new Dictionary<int, string>();
        await using var read = new NpgsqlCommand("SELECT pid, COALESCE(datname, '') FROM pg_stat_activity", connection);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            backends[reader.GetInt32(0)] = reader.GetString(1);
        }
        return backends;
    }

    private static string OneLine(string query)
    {
        var flat = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 140 ? flat : flat[..139] + "…";
    }
}
