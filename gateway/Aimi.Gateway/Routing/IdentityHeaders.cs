using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Yarp.ReverseProxy.Transforms;

namespace Aimi.Gateway.Routing;

/// <summary>
/// The caller's identity reaches a service only as the validated token (Authorization is forwarded and checked
/// again) and as <c>X-User-Id</c> set here from its subject. Identity-looking headers sent by the client are dropped,
/// and so is every internal header (<c>X-Aimi-*</c>, such as the actor Chat sets on the assistant's calls), so no
/// service can be fooled by them.
/// </summary>
public static class IdentityHeaders
{
    public const string UserIdHeader = "X-User-Id";

    private static readonly string[] ClientIdentityPrefixes =
        ["X-User-", "X-UserId", "X-Auth-", "X-Authenticated-", "X-Forwarded-User", "X-Forwarded-Email", "X-Remote-User", "Remote-User"];

    public static bool IsIdentityHeader(string name) =>
        InternalHeaders.IsInternal(name) || ClientIdentityPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    public static ValueTask ApplyAsync(RequestTransformContext context)
    {
        foreach (var name in context.HttpContext.Request.Headers.Keys.Where(IsIdentityHeader))
        {
            RequestTransform.RemoveHeader(context, name);
        }

        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated == true && user.FindFirst(AuthExtensions.SubjectClaim)?.Value is { Length: > 0 } subject)
        {
            RequestTransform.AddHeader(context, UserIdHeader, subject);
        }
        return ValueTask.CompletedTask;
    }
}
