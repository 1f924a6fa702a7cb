using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.ServiceDefaults.Errors;

/// <summary>Collects field errors into one RFC 7807 validation problem: every 400 names its fields in <c>errors</c>.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public IReadOnlyDictionary<string, string[]> Errors => _errors.ToDictionary(p => p.Key, p => p.Value.ToArray());

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
        return this;
    }

    public Validation Text(string field, string? value, int maxLength, bool required)
    {
        if (value is null)
        {
            return required ? Add(field, $"'{field}' is required.") : this;
        }
        if (string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"'{field}' must not be empty.");
        }
        return value.Length > maxLength ? Add(field, $"'{field}' must be at most {maxLength} characters (got {value.Length}).") : this;
    }

    public Validation Range(string field, int? value, int min, int max) =>
        value is { } v && (v < min || v > max) ? Add(field, $"'{field}' must be between {min} and {max}.") : this;

    public ValidationProblem ToProblem() => TypedResults.ValidationProblem(Errors, title: Title);

    /// <summary>The same errors for a use case that throws (Chat): the HTTP and WebSocket edges each render it.</summary>
    public RequestException ToError() => RequestException.Invalid(Errors);

    /// <summary>Throws <see cref="ToError"/> unless valid.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw ToError();
        }
    }

    public const string Title = "The request is invalid";

    /// <summary>A query-string status filter in its wire form (<c>?status=paused</c>); absent means no filter.</summary>
    public static bool TryParseFilter<TEnum>(string? value, out TEnum? filter, out ValidationProblem problem) where TEnum : struct, Enum
    {
        filter = null;
        problem = null!;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (WireName.TryParse<TEnum>(value, out var parsed))
        {
            filter = parsed;
            return true;
        }
        problem = new Validation().Add("status", $"'{value}' is not a status; use {string.Join(", ", WireName.All<TEnum>())}.").ToProblem();
        return false;
    }

    public static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
