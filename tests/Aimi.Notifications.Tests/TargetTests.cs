using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Endpoints;
using Aimi.ServiceDefaults.Targets;
using Aimi.Testing;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>The service as it runs in production: loopback and private targets refused, at registration and at send time.</summary>
public sealed class StrictTargetsHost : NotificationsHost
{
    protected override bool DispatcherEnabled => false;

    protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() =>
        [new($"{UserTargetOptions.Section}:{nameof(UserTargetOptions.AllowPrivateTargets)}", "false")];
}

public sealed class TargetTests(StrictTargetsHost host) : IClassFixture<StrictTargetsHost>
{
    /// <summary>A subscription body with keys of the right shape (the service checks their form, not the curve).</summary>
    public static object Subscription(string endpoint) => new
    {
        endpoint,
        keys = new { p256dh = Base64Url.EncodeToString([0x04, .. RandomNumberGenerator.GetBytes(64)]), auth = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)) },
    };

    [Fact]
    public async Task Push_endpoints_on_internal_hosts_are_refused_with_one_message_and_nothing_is_stored()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        var answers = new List<(string Url, bool Refused, string? Message)>();
        foreach (var url in TestDns.RefusedUrls)
        {
            var response = await client.PostJsonAsync("/notifications/push-subscriptions", Subscription(url));
            answers.Add(response.StatusCode == HttpStatusCode.BadRequest
                ? (url, true, (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("endpoint")[0].GetString())
                : (url, false, null));
        }

        Assert.Empty(answers.Where(a => !a.Refused).Select(a => a.Url));
        // One wording for every refusal: the answer does not tell whether an internal name exists or where it points.
        var message = Assert.Single(answers.Select(a => a.Message).Distinct());
        Assert.DoesNotContain(TestDns.InternalAddress, message, StringComparison.Ordinal);
        Assert.Empty(await (await client.GetAsync("/notifications/push-subscriptions")).ReadAsync<List<PushSubscriptionResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Push_endpoints_on_public_https_hosts_are_accepted()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        foreach (var url in TestDns.PublicUrls)
        {
            var created = await (await client.PostJsonAsync("/notifications/push-subscriptions", Subscription(url))).ReadAsync<PushSubscriptionResponse>(HttpStatusCode.Created);
            Assert.Equal(url, created.Endpoint);
        }
    }
}

public sealed class InternalAddressTests
{
    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("100.64.0.1")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")] // NAT64 of 169.254.169.254
    [InlineData("64:ff9b:1::1")] // local-use NAT64
    [InlineData("2002:c0a8:101::1")] // 6to4 of 192.168.1.1
    public void Internal_addresses_are_recognised_in_every_spelling(string address) =>
        Assert.True(InternalAddresses.IsInternal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("64:ff9b::5db8:d822")] // NAT64 of 93.184.216.34
    [InlineData("2002:5db8:d822::1")] // 6to4 of 93.184.216.34
    public void Public_addresses_are_not_internal(string address) =>
        Assert.False(InternalAddresses.IsInternal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST.", true)]
    [InlineData("api.localhost", true)]
    [InlineData("intranet", true)]
    [InlineData("rabbitmq.", true)]
    [InlineData("hooks.example.org", false)]
    [InlineData("hooks.example.org.", false)]
    [InlineData("localhost.example.org", false)]
    public void Localhost_and_single_label_names_are_internal(string name, bool expected) =>
        Assert.Equal(expected, InternalAddresses.IsInternalName(name));

    [Theory]
    [InlineData("64:ff9b::7f00:1")] // NAT64 of 127.0.0.1
    [InlineData("2002:7f00:1::1")] // 6to4 of 127.0.0.1
    public async Task The_send_time_guard_refuses_an_internal_ipv4_inside_nat64_and_6to4(string address)
    {
        using var http = new HttpClient(GuardedHttp.CreateHandler(allowPrivate: false));

        var failed = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://[{address}]:9/")));

        var refused = Assert.IsType<ChannelException>(failed.InnerException);
        Assert.True(refused.Permanent);
    }
}
