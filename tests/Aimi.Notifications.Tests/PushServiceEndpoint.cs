using Aimi.Testing;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.Notifications.Tests;

/// <summary>
/// A push service on loopback that does what a real one does before accepting a message: checks the VAPID token
/// (RFC 8292: ES256 signature by the key in <c>k</c>, audience, expiry, subject) and, playing the browser, decrypts the
/// aes128gcm payload (RFC 8291/8188) with the subscription's private key and auth secret.
/// </summary>
public sealed class PushServiceEndpoint : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Browser> _browsers = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentQueue<string> _rejected = new();
    private WebApplication? _app;

    public sealed record Received(string BrowserId, JsonElement Payload, string? Topic, string? Urgency, int Ttl);

    public sealed class Browser
    {
        public required string Id { get; init; }
        public required ECDiffieHellman Keys { get; init; }
        public required byte[] AuthSecret { get; init; }
        public required Uri Endpoint { get; init; }
        public HttpStatusCode? Answer { get; set; }
        public string P256dh => Base64Url.EncodeToString(PublicPoint(Keys.ExportParameters(false).Q));
        public string Auth => Base64Url.EncodeToString(AuthSecret);
    }

    public Uri BaseAddress { get; private set; } = null!;
    public required string VapidPublicKey { get; init; }
    public IReadOnlyList<Received> Messages => _received.ToList();
    public IReadOnlyList<string> Rejected => _rejected.ToList();

    /// <summary>A VAPID key pair as the service's configuration holds it (base64url public point and private scalar).</summary>
    public static (string PublicKey, string PrivateKey) NewVapidKeys()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(true);
        return (Base64Url.EncodeToString(PublicPoint(parameters.Q)), Base64Url.EncodeToString(parameters.D!));
    }

    public static async Task<PushServiceEndpoint> StartAsync(string vapidPublicKey)
    {
        var service = new PushServiceEndpoint { VapidPublicKey = vapidPublicKey };
        var app = await LoopbackApp.StartAsync(app => app.MapPost("/push/{id}", service.HandleAsync));
        service._app = app;
        service.BaseAddress = app.BaseAddress();
        return service;
    }

    public Browser NewBrowser()
    {
        var id = Guid.NewGuid().ToString("N");
        var browser = new Browser
        {
            Id = id,
            Keys = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256),
            AuthSecret = RandomNumberGenerator.GetBytes(16),
            Endpoint = new Uri(BaseAddress, $"/push/{id}"),
        };
        _browsers[id] = browser;
        return browser;
    }

    private async Task<IResult> HandleAsync(string id, HttpRequest request)
    {
        if (!_browsers.TryGetValue(id, out var browser))
        {
            return Results.NotFound();
        }
        if (browser.Answer is { } answer)
        {
            return Results.StatusCode((int)answer);
        }
        if (VerifyVapid(request) is { } problem)
        {
            _rejected.Enqueue(problem);
            return Results.Unauthorized();
        }
        if (request.Headers.ContentEncoding.ToString() != "aes128gcm")
        {
            _rejected.Enqueue("not aes128gcm");
            return Results.BadRequest();
        }
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        string plaintext;
        try
        {
            plaintext = Decrypt(body.ToArray(), browser);
        }
        catch (CryptographicException ex)
        {
            _rejected.Enqueue($"decryption failed: {ex.Message}");
            return Results.BadRequest();
        }
        _received.Enqueue(new Received(id, JsonDocument.Parse(plaintext).RootElement.Clone(), request.Headers["Topic"].FirstOrDefault(),
            request.Headers["Urgency"].FirstOrDefault(), int.Parse(request.Headers["TTL"].ToString(), System.Globalization.CultureInfo.InvariantCulture)));
        return Results.Created($"/messages/{Guid.NewGuid():N}", null);
    }

    private string? VerifyVapid(HttpRequest request)
    {
        // Authorization: vapid t=<JWT>, k=<base64url P-256 public key>
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("vapid ", StringComparison.Ordinal))
        {
            return $"not the vapid scheme: {header}";
        }
        var parameters = header["vapid ".Length..].Split(',').Select(p => p.Trim().Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        if (!parameters.TryGetValue("t", out var token) || !parameters.TryGetValue("k", out var key))
        {
            return "t or k missing";
        }
        if (key != VapidPublicKey)
        {
            return "k is not the application server's key";
        }
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return "malformed JWT";
        }
        var point = Base64Url.DecodeFromChars(key);
        using var verifier = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..65] } });
        if (!verifier.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256))
        {
            return "bad ES256 signature";
        }
        using var jwtHeader = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        if (jwtHeader.RootElement.GetProperty("alg").GetString() != "ES256")
        {
            return "alg is not ES256";
        }
        var aud = claims.RootElement.GetProperty("aud").GetString();
        // The origin of the endpoint; the library leaves the port out, which a real push service on 443 never sees.
        var origin = $"{request.Scheme}://{request.Host.Host}";
        if (aud != origin && aud != $"{request.Scheme}://{request.Host}")
        {
            return $"aud {aud} is not {origin}";
        }
        var exp = DateTimeOffset.FromUnixTimeSeconds(claims.RootElement.GetProperty("exp").GetInt64());
        if (exp < DateTimeOffset.UtcNow || exp > DateTimeOffset.UtcNow.AddHours(24))
        {
            return $"exp {exp:o} out of range";
        }
        return claims.RootElement.TryGetProperty("sub", out var sub) && sub.GetString() is { Length: > 0 } ? null : "sub missing";
    }

    /// <summary>RFC 8291 key derivation, then one RFC 8188 record; the payload ends with the 0x02 delimiter and padding.</summary>
    private static string Decrypt(byte[] body, Browser browser)
    {
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        int idLength = body[20];
        var serverPoint = body[21..(21 + idLength)];
        var ciphertext = body[(21 + idLength)..];
        if (ciphertext.Length > recordSize)
        {
            throw new CryptographicException("more than one record");
        }

        using var server = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = serverPoint[1..33], Y = serverPoint[33..65] },
        });
        var shared = browser.Keys.DeriveRawSecretAgreement(server.PublicKey);
        var userPoint = PublicPoint(browser.Keys.ExportParameters(false).Q);

        var keyPrk = HKDF.Extract(HashAlgorithmName.SHA256, shared, browser.AuthSecret);
        var keyInfo = Encoding.ASCII.GetBytes("WebPush: info\0").Concat(userPoint).Concat(serverPoint).ToArray();
        var ikm = HKDF.Expand(HashAlgorithmName.SHA256, keyPrk, 32, keyInfo);
        var prk = HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt);
        var cek = HKDF.Expand(HashAlgorithmName.SHA256, prk, 16, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        var nonce = HKDF.Expand(HashAlgorithmName.SHA256, prk, 12, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

        var plain = new byte[ciphertext.Length - 16];
        using (var aes = new AesGcm(cek, 16))
        {
            aes.Decrypt(nonce, ciphertext[..^16], ciphertext[^16..], plain);
        }
        var end = plain.Length - 1;
        while (end >= 0 && plain[end] == 0)
        {
            end--;
        }
        if (end < 0 || plain[end] != 2)
        {
            throw new CryptographicException("no last-record delimiter");
        }
        return Encoding.UTF8.GetString(plain, 0, end);
    }

    private static byte[] PublicPoint(ECPoint q) => [0x04, .. q.X!, .. q.Y!];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        foreach (var browser in _browsers.Values)
        {
            browser.Keys.Dispose();
        }
    }
}
