using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Aimi.Chat.Api.Sessions;

/// <summary>What a redeemed ticket says: whose socket it opens, and the token its turns call Goals and Memory with.</summary>
public sealed record SocketTicket(string UserId, string AccessToken)
{
    /// <summary>The socket lives only as long as the token that asked for the ticket.</summary>
    public DateTimeOffset? TokenExpiry => ServiceDefaults.Auth.TokenExpiry.Of(AccessToken);
}

/// <summary>
/// Tickets for opening <c>/ws/chat</c>: a browser cannot put a token in a WebSocket handshake's headers, and a token in the
/// URL ends up in access logs and traces. An authenticated <c>POST /chat/socket-tickets</c> takes a ticket (256 random bits,
/// <see cref="Lifetime"/>), the socket upgrade redeems it once. Tickets live in Redis, so any replica redeems what another
/// issued; GETDEL takes a ticket and deletes it in one step, so two redemptions cannot both succeed. Redis holds neither
/// the ticket (the key is its SHA-256) nor a usable token (sealed with a key derived from the ticket, which only the caller has).
/// </summary>
public sealed partial class SocketTickets(IConnectionMultiplexer redis, TimeProvider time, ILogger<SocketTickets> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int TicketBytes = 32;
    private static readonly byte[] SealingInfo = "aimi chat socket ticket"u8.ToArray();

    /// <summary>A new ticket for this user and token, and when it expires; null when Redis cannot keep it.</summary>
    public async Task<(string Ticket, DateTimeOffset ExpiresAt)?> IssueAsync(string userId, string accessToken)
    {
        var secret = RandomNumberGenerator.GetBytes(TicketBytes);
        var expiresAt = time.GetUtcNow() + Lifetime;
        var value = JsonSerializer.Serialize(new StoredTicket(userId, Seal(secret, userId, accessToken), expiresAt));
        try
        {
            // Redis's own expiry only tidies up; the stored time (this service's clock) decides.
            await redis.GetDatabase().StringSetAsync(Key(secret), value, Lifetime);
            return (Base64Url.EncodeToString(secret), expiresAt);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRedisUnavailable(logger, e);
            return null;
        }
    }

    /// <summary>The ticket's user and token, once; null for a ticket unknown, used, expired or not well-formed, or when Redis fails.</summary>
    public async Task<SocketTicket?> RedeemAsync(string? ticket)
    {
        if (ticket is null || !TryDecode(ticket, out var secret))
        {
            return null;
        }
        RedisValue value;
        try
        {
            value = await redis.GetDatabase().StringGetDeleteAsync(Key(secret));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRedisUnavailable(logger, e);
            return null;
        }
        if (value.IsNullOrEmpty || JsonSerializer.Deserialize<StoredTicket>((string)value!) is not { } stored || stored.ExpiresAt <= time.GetUtcNow())
        {
            return null;
        }
        return Unseal(secret, stored.UserId, stored.SealedToken) is { } token ? new SocketTicket(stored.UserId, token) : null;
    }

    private sealed record StoredTicket(string UserId, string SealedToken, DateTimeOffset ExpiresAt);

    private static RedisKey Key(byte[] secret) => $"aimi:chat:socket-ticket:{Convert.ToHexStringLower(SHA256.HashData(secret))}";

    private static bool TryDecode(string ticket, out byte[] secret)
    {
        secret = new byte[TicketBytes];
        return ticket.Length == Base64Url.GetEncodedLength(TicketBytes)
            && Base64Url.IsValid(ticket)
            && Base64Url.DecodeFromChars(ticket, secret) == TicketBytes;
    }

    // AES-GCM under a key derived from the ticket; the user id is authenticated with it, so a sealed token moved under
    // another user's entry does not open.
    private static string Seal(byte[] secret, string userId, string token)
    {
        var plain = Encoding.UTF8.GetBytes(token);
        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + AesGcm.TagByteSizes.MaxSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        var tag = sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(SealingKey(secret), AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(nonce.Length + tag.Length), tag, Encoding.UTF8.GetBytes(userId));
        return Convert.ToBase64String(sealedBytes);
    }

    private static string? Unseal(byte[] secret, string userId, string sealedToken)
    {
        var sealedBytes = Convert.FromBase64String(sealedToken);
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        var tag = sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
        var cipher = sealedBytes.AsSpan(nonce.Length + tag.Length);
        var plain = new byte[cipher.Length];
        using var aes = new AesGcm(SealingKey(secret), AesGcm.TagByteSizes.MaxSize);
        try
        {
            aes.Decrypt(nonce, cipher, tag, plain, Encoding.UTF8.GetBytes(userId));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] SealingKey(byte[] secret) => HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: SealingInfo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable; chat socket tickets can be neither issued nor redeemed")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);
}
