using System.Data.Common;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aimi.Memory.Api.Data;

/// <summary>Plain SQL on the context's connection and transaction, for what LINQ cannot say (recursive CTEs, vector ranking).</summary>
internal static class Sql
{
    /// <summary>Plain SQL on the context's connection and in its transaction (through <see cref="RawSql"/>).</summary>
    public static Task<List<T>> QueryAsync<T>(this DbContext db, string sql, IReadOnlyDictionary<string, object?> parameters,
        Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RawSql.QueryAsync(db, sql, Parameters(parameters), read, cancellationToken);

    /// <summary>Plain SQL on an open connection (a second one, for a query that runs beside the context's).</summary>
    public static async Task<List<T>> QueryAsync<T>(this DbConnection connection, string sql, IReadOnlyDictionary<string, object?> parameters,
        Func<DbDataReader, T> read, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.Parameters.AddRange(Parameters(parameters));
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    private static NpgsqlParameter[] Parameters(IReadOnlyDictionary<string, object?> parameters) =>
    [
        .. parameters.Select(p => p.Value is Untyped untyped
            ? new NpgsqlParameter(p.Key, NpgsqlTypes.NpgsqlDbType.Unknown) { Value = untyped.Text }
            : new NpgsqlParameter(p.Key, p.Value ?? DBNull.Value)),
    ];

    /// <summary>
    /// A parameter's value sent as text of no declared type: PostgreSQL gives the parameter the type of the cast the statement puts on it
    /// (<c>@q::vector</c> is then a vector parameter, read once). A text parameter would stay text and be cast wherever the statement uses
    /// it, on every row, in a prepared statement's generic plan, which cannot fold the cast into a constant.
    /// </summary>
    public sealed record Untyped(string Text);

    /// <summary>A vector in pgvector's text form, for a <c>@p::vector</c> parameter.</summary>
    public static Untyped Vector(ReadOnlySpan<float> vector)
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
        return new Untyped(builder.Append(']').ToString());
    }

    /// <summary>
    /// A vector's sign bits as pgvector's <c>binary_quantize</c> computes them (bit i set when component i is above zero), in bit-string
    /// form for a <c>@p::varbit</c> parameter: the query's bits computed here once, not by the statement.
    /// </summary>
    public static Untyped SignBits(ReadOnlySpan<float> vector)
    {
        var bits = new char[vector.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            bits[i] = vector[i] > 0 ? '1' : '0';
        }
        return new Untyped(new string(bits));
    }
}
