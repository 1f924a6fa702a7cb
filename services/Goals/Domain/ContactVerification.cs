using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Aimi.Goals.Api.Domain;

/// <summary>Where a profile's e-mail address or webhook URL stands; only a verified one is announced to Notifications.</summary>
public enum ContactStatus
{
    Pending,
    Verified,
    Failed,
}

public enum ContactChannel
{
    Email,
    Webhook,
}

/// <summary>What an attempt to confirm an e-mail code came to.</summary>
public enum CodeCheck
{
    Correct,
    Wrong,
    Expired,
    TooManyAttempts,
}

/// <summary>
/// The proof that a profile's e-mail address belongs to its user (a code, kept as a hash, expiring, with a few tries) or
/// that its webhook URL answers for them (the id of the current challenge), and how much was sent in the current hour:
/// codes and challenges go to addresses the user typed, so they are capped. The row outlives a cleared address, so
/// clearing and setting it again does not reset the cap.
/// </summary>
public sealed class ContactVerification
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(30);
    public const int MaxAttempts = 5;
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    /// <summary>Codes per hour (a new address or a resend), challenges per hour (a new URL or a re-check).</summary>
    public static int SendsPerWindow(ContactChannel channel) => channel == ContactChannel.Email ? 3 : 5;

    public Guid UserId { get; init; }
    public ContactChannel Channel { get; init; }
    /// <summary>The address the code or the challenge is for.</summary>
    public string? Target { get; private set; }
    public string? CodeHash { get; private set; }
    public DateTimeOffset? ExpiresAt { get; private set; }
    public int Attempts { get; private set; }
    public Guid? CheckId { get; private set; }
    /// <summary>Why the last webhook challenge failed.</summary>
    public string? LastError { get; private set; }
    public DateTimeOffset WindowStartedAt { get; private set; }
    public int SentInWindow { get; private set; }
    /// <summary>PostgreSQL's <c>xmin</c>: two requests racing on one row (two guesses at once) cannot both count as one.</summary>
    public uint RowVersion { get; private set; }

    /// <summary>Counts one more code or challenge in the current hour; when the hour's are used up, how long until the next.</summary>
    public TimeSpan? TryReserveSend(DateTimeOffset now)
    {
        if (now - WindowStartedAt >= Window)
        {
            WindowStartedAt = now;
            SentInWindow = 0;
        }
        if (SentInWindow >= SendsPerWindow(Channel))
        {
            return WindowStartedAt + Window - now;
        }
        SentInWindow++;
        return null;
    }

    /// <summary>How long until another code may be sent (zero when one may be sent now).</summary>
    public TimeSpan NextSendIn(DateTimeOffset now) =>
        now - WindowStartedAt >= Window || SentInWindow < SendsPerWindow(Channel) ? TimeSpan.Zero : WindowStartedAt + Window - now;

    /// <summary>A fresh six-digit code for <paramref name="email"/>; earlier codes stop working. Returns the code, keeps its hash.</summary>
    public string IssueCode(string email, DateTimeOffset now)
    {
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        Target = email;
        CodeHash = Hash(email, code);
        ExpiresAt = now + CodeLifetime;
        Attempts = 0;
        CheckId = null;
        LastError = null;
        return code;
    }

    /// <summary>Every try counts, right or wrong; after <see cref="MaxAttempts"/> only a new code helps.</summary>
    public CodeCheck Confirm(string code, DateTimeOffset now)
    {
        if (Attempts >= MaxAttempts)
        {
            return CodeCheck.TooManyAttempts;
        }
        Attempts++;
        if (ExpiresAt is not { } expires || now >= expires || CodeHash is null || Target is null)
        {
            return CodeCheck.Expired;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(Target, code)), Encoding.ASCII.GetBytes(CodeHash)))
        {
            return CodeCheck.Wrong;
        }
        CodeHash = null;
        ExpiresAt = null;
        return CodeCheck.Correct;
    }

    public bool HasCode => CodeHash is not null;

    /// <summary>Whether a code is waiting for <paramref name="address"/> (one sent for an address since replaced does not count).</summary>
    public bool AwaitsCodeFor(string? address) => HasCode && address is not null && Target == address;

    /// <summary>A new challenge for <paramref name="url"/>; the answer to an earlier one no longer counts.</summary>
    public Guid IssueCheck(string url, DateTimeOffset now)
    {
        Target = url;
        CheckId = Guid.CreateVersion7(now);
        CodeHash = null;
        ExpiresAt = null;
        LastError = null;
        return CheckId.Value;
    }

    /// <summary>Whether an answer is to the current challenge for this very URL (a late answer to an older one is not).</summary>
    public bool Awaits(Guid checkId, string url) => CheckId == checkId && Target == url;

    public void CheckFinished(string? error)
    {
        CheckId = null;
        LastError = error;
    }

    /// <summary>The address is gone: its code or challenge with it (the send count stays).</summary>
    public void Clear()
    {
        Target = null;
        CodeHash = null;
        ExpiresAt = null;
        Attempts = 0;
        CheckId = null;
        LastError = null;
    }

    // Bound to the address, so a code mailed to an earlier address cannot confirm a later one.
    private string Hash(string email, string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{UserId:N}\n{email}\n{code}")));
}
