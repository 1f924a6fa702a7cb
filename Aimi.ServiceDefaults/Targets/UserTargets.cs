using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aimi.ServiceDefaults.Targets;

/// <summary>
/// Whether URLs users give may point at loopback and private hosts. One switch for the whole system: the service that
/// accepts such a URL and the one that calls it read the same setting, under the Notification service's webhook section.
/// </summary>
public sealed class UserTargetOptions
{
    public const string Section = "Notifications:Webhook";

    /// <summary>Loopback and private targets, and plain http, are accepted and called: for receivers on a developer's
    /// machine and in tests. On by default in Development only.</summary>
    public bool AllowPrivateTargets { get; set; }
}

/// <summary>Looks up a host name's addresses: the system resolver, or a table in tests (which have no DNS server).</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);

/// <summary>
/// The check of a URL a user registers for the server to call later (a webhook, a Web Push endpoint): an absolute https
/// URL of a public host — neither an internal address (<see cref="InternalAddresses"/>) nor an internal name, nor a name
/// that resolves to an internal address or to nothing. Every refusal reads the same, so the answer does not tell whether
/// an internal name exists. DNS can change after registration: the send-time guard checks the address it connects to.
/// </summary>
public sealed class UserTargets(IOptions<UserTargetOptions> options, HostResolver resolve)
{
    public const int MaxLength = 2000;

    public bool AllowPrivate => options.Value.AllowPrivateTargets;

    /// <summary>The one message for any URL in <paramref name="field"/> that is refused.</summary>
    public string Rule(string field) => AllowPrivate
        ? $"'{field}' must be an absolute http(s) URL of at most {MaxLength} characters."
        : $"'{field}' must be an absolute https URL of a public host, at most {MaxLength} characters; loopback, private, link-local and other internal hosts are refused.";

    public async Task<bool> AcceptsAsync(string? url, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }
        if (AllowPrivate)
        {
            return uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp;
        }
        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return false;
        }
        var host = uri.HostNameType switch
        {
            UriHostNameType.IPv4 or UriHostNameType.IPv6 => uri.Host.Trim('[', ']'),
            UriHostNameType.Dns => uri.IdnHost.TrimEnd('.'), // "10.0.0.1." is a name to Uri, an address to the resolver
            _ => null,
        };
        if (host is null)
        {
            return false;
        }
        if (IPAddress.TryParse(host, out var literal))
        {
            return !InternalAddresses.IsInternal(literal);
        }
        if (InternalAddresses.IsInternalName(host))
        {
            return false;
        }
        try
        {
            var addresses = await resolve(host, cancellationToken);
            return addresses.Length > 0 && !addresses.Any(InternalAddresses.IsInternal);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return false; // no such name, no answer, or not a name at all: nothing public to call
        }
    }
}

public static class UserTargetsExtensions
{
    /// <summary>The switch (on by default in Development) and the check of URLs users give.</summary>
    public static IHostApplicationBuilder AddUserTargets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UserTargetOptions>()
            .Configure(o => o.AllowPrivateTargets = builder.Environment.IsDevelopment())
            .BindConfiguration(UserTargetOptions.Section);
        builder.Services.TryAddSingleton<HostResolver>(Dns.GetHostAddressesAsync);
        builder.Services.AddSingleton<UserTargets>();
        return builder;
    }
}
