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
/// outbox and the consumers need it. Memory's own SQL on its context goes through it too.)
/// </summary>
public static class RawSql
{
    /// <summary>
    /// The rows of <paramref name="sql"/>, each read by <paramref name="read"/>. Its interpolated values become parameters, typed as
    /// EF Core types them (a <c>null</c> needs a cast in the SQL). The connection is opened for the statement if it was not open.
    /// </summary>
    public static Task<List<T>> QueryAsync<T>(this DbContext db, FormattableString sql, Func<DbDataReader, T> read,
        CancellationToken cancellationToken)
    {
        var command = db.GetService<IRawSqlCommandBuilder>().Build(sql.Format, sql.GetArguments(), db.Model);
        return RunAsync(db, command.RelationalCommand, command.ParameterValues, ReadRows(read), cancellationToken);
    }

    /// <summary>The rows of <paramref name="sql"/>, taken as written, which names its <paramref name="parameters"/> (<c>@name</c>).</summary>
    public static Task<List<T>> QueryAsync<T>(this DbContext db, string sql, IReadOnlyList<DbParameter> parameters, Func<DbDataReader, T> read,
        CancellationToken cancellationToken) =>
        db.ReadAsync(sql, parameters, ReadRows(read), cancellationToken);

    /// <summary>
    /// <paramref name="sql"/>, taken as written with its named <paramref name="parameters"/>, its reader handed to <paramref name="read"/>
    /// whole: for a batch of statements whose later result sets are the ones wanted.
    /// </summary>
    public static Task<T> ReadAsync<T>(this DbContext db, string sql, IReadOnlyList<DbParameter> parameters,
        Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var command = db.GetService<IRelationalCommandBuilderFactory>().Create().Append(sql);
        foreach (var parameter in parameters)
        {
            command.AddRawParameter(parameter.ParameterName, parameter);
        }
        return RunAsync(db, command.Build(), NoValues, read, cancellationToken);
    }

    /// <summary>The first column of each row of <paramref name="sql"/>.</summary>
    public static Task<List<T>> ScalarsAsync<T>(this DbContext db, FormattableString sql, CancellationToken cancellationToken) =>
        db.QueryAsync(sql, reader => reader.GetFieldValue<T>(0), cancellationToken);

    // A raw parameter carries its value itself.
    private static readonly IReadOnlyDictionary<string, object?> NoValues = new Dictionary<string, object?>();

    private static async Task<T> RunAsync<T>(DbContext db, IRelationalCommand command, IReadOnlyDictionary<string, object?> values,
        Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var parameters = new RelationalCommandParameterObject(db.GetService<IRelationalConnection>(), values, null, db,
            db.GetService<IRelationalCommandDiagnosticsLogger>());
        await using var reader = await command.ExecuteReaderAsync(parameters, cancellationToken);
        return await read(reader.DbDataReader, cancellationToken);
    }

    private static Func<DbDataReader, CancellationToken, Task<List<T>>> ReadRows<T>(Func<DbDataReader, T> read) => async (reader, cancellationToken) =>
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    };
}
