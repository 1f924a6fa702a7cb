using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Aimi.Messaging;

/// <summary>
/// A statement of our own SQL that returns rows, run on the context's connection and in its current transaction through EF Core's
/// command pipeline (its interceptors, command logging and tracing) but not through its query compiler. EF Core keeps no SQL for a
/// <c>FromSql</c> or <c>SqlQuery</c> whose interpolated values are parameters: every run re-visits the query around the raw SQL and
/// generates its text again. Under the chat benchmark that was 8% of Memory's CPU (issue 17), spent on the outbox relay's claim and
/// the idempotent consumers' record, which run for every message. These build the command from the SQL directly, as EF Core's own
/// <c>ExecuteSql</c> does for a statement without rows. (Here rather than in Aimi.Persistence, which builds on this project: the
/// outbox and the consumers need it.)
/// </summary>
public static class RawSql
{
    /// <summary>
    /// The rows of <paramref name="sql"/>, each read by <paramref name="read"/>. Its interpolated values become parameters, typed as
    /// EF Core types them (a <c>null</c> needs a cast in the SQL). The connection is opened for the statement if it was not open.
    /// </summary>
    public static Task<List<T>> QueryAsync<T>(this DbContext db, FormattableString sql, Func<DbDataReader, T> read,
        CancellationToken cancellationToken) =>
        RunAsync(db, sql.Format, sql.GetArguments(), read, cancellationToken);

    /// <summary>
    /// The rows of <paramref name="sql"/>, which names its <paramref name="parameters"/> (<c>@name</c>); as in EF Core's
    /// <c>SqlQueryRaw</c>, braces in it are format placeholders.
    /// </summary>
    public static Task<List<T>> QueryAsync<T>(this DbContext db, string sql, IReadOnlyList<DbParameter> parameters, Func<DbDataReader, T> read,
        CancellationToken cancellationToken) =>
        RunAsync(db, sql, [.. parameters], read, cancellationToken);

    /// <summary>The first column of each row of <paramref name="sql"/>.</summary>
    public static Task<List<T>> ScalarsAsync<T>(this DbContext db, FormattableString sql, CancellationToken cancellationToken) =>
        db.QueryAsync(sql, reader => reader.GetFieldValue<T>(0), cancellationToken);

    private static async Task<List<T>> RunAsync<T>(DbContext db, string sql, object?[] arguments, Func<DbDataReader, T> read,
        CancellationToken cancellationToken)
    {
        var command = db.GetService<IRawSqlCommandBuilder>().Build(sql, arguments, db.Model);
        var parameters = new RelationalCommandParameterObject(db.GetService<IRelationalConnection>(), command.ParameterValues, null, db,
            db.GetService<IRelationalCommandDiagnosticsLogger>());
        await using var reader = await command.RelationalCommand.ExecuteReaderAsync(parameters, cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader.DbDataReader));
        }
        return rows;
    }
}
