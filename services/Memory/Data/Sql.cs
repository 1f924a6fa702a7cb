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
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
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
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
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
