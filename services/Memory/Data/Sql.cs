using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Aimi.Memory.Api.Data;

/// <summary>Plain SQL on the context's connection and transaction, for what LINQ cannot say (recursive CTEs, vector ranking).</summary>
internal static class Sql
{
    public static async Task<List<T>> QueryAsync<T>(this DbContext db, string sql, IReadOnlyDictionary<string, object?> parameters,
        Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await db.Database.GetDbConnection().QueryAsync(sql, parameters, read, db.Database.CurrentTransaction?.GetDbTransaction(), cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Plain SQL on an open connection (a second one, for a query that runs beside the context's).</summary>
    public static async Task<List<T>> QueryAsync<T>(this DbConnection connection, string sql, IReadOnlyDictionary<string, object?> parameters,
        Func<DbDataReader, T> read, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    /// <summary>A vector as pgvector's text form, for a <c>@p::vector</c> parameter.</summary>
    public static string VectorLiteral(ReadOnlySpan<float> vector)
    {
        var builder = new System.Text.StringBuilder(vector.Length * 10).Append('[');
        for (var i = 0; i < vector.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }
            builder.Append(vector[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.Append(']').ToString();
    }
}
