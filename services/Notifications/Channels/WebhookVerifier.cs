using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Contracts.Notifications;
using Aimi.ServiceDefaults.Targets;
using Microsoft.Extensions.Options;

namespace Aimi.Notifications.Api.Channels;

/// <summary>
/// Asks a new webhook URL whether it wants Aimi's reminders: POSTs <c>{"type":"aimi.webhook.verification","challenge":"…"}</c>
/// and expects, within <see cref="WebhookOptions.VerificationTimeout"/>, a 2xx whose body is the challenge (plain or as
/// <c>{"challenge":"…"}</c>). Through <see cref="GuardedHttp"/>: no internal targets at connect time, at most 4 KiB read.
/// </summary>
public sealed class WebhookVerifier : IDisposable
{
    private const int MaxExplanation = 200;
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public WebhookVerifier(IOptions<WebhookOptions> options, IOptions<UserTargetOptions> targets)
    {
        _timeout = options.Value.VerificationTimeout;
        _http = new HttpClient(GuardedHttp.CreateHandler(targets.Value.AllowPrivateTargets, readSuccessBodies: true)) { Timeout = _timeout };
    }

    /// <summary>Null when the URL echoed the challenge; otherwise why not, in words for the user.</summary>
    public async Task<string?> ChallengeAsync(string webhookUrl, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(webhookUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return "The webhook URL is not an http(s) URL.";
        }
        var challenge = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        var body = JsonSerializer.Serialize(new { type = WebhookVerificationWords.Type, challenge }, JsonSerializerOptions.Web);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is ChannelException refused)
        {
            return refused.Message;
        }
        catch (HttpRequestException ex)
        {
            return $"The webhook could not be reached: {ex.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"The webhook did not answer within {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.";
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                return $"The webhook answered {(int)response.StatusCode} {response.ReasonPhrase} to the verification challenge.";
            }
            var answer = await response.Content.ReadAsStringAsync(CancellationToken.None);
            return Echoes(answer, challenge)
                ? null
                : $"The webhook answered {(int)response.StatusCode} without echoing the challenge (got: {Shorten(answer)}).";
        }
    }

    private static bool Echoes(string answer, string challenge)
    {
        var text = answer.Trim();
        if (text == challenge)
        {
            return true;
        }
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("challenge", out var echoed)
                && echoed.ValueKind == JsonValueKind.String
                && echoed.GetString() == challenge;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shorten(string answer)
    {
        var text = answer.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "an empty body" : text.Length <= MaxExplanation ? $"\"{text}\"" : $"\"{text[..MaxExplanation]}…\"";
    }

    public void Dispose() => _http.Dispose();
}
