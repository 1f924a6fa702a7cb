using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Errors;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Data;

/// <summary>
/// The use cases of a profile's e-mail address and webhook URL: a new one is pending until proven (a code mailed to it,
/// a challenge it must echo, both sent by Notifications through the outbox), and codes and challenges are capped per
/// hour. Refusals are <see cref="RequestException"/>s; changes wait for the caller's <c>SaveChanges</c>, except a counted
/// wrong code, which is saved at once.
/// </summary>
public sealed class ContactChannels(GoalsDbContext db, PlanChanges changes, TimeProvider time)
{
    /// <summary>For <c>PUT /me</c>: a changed address is pending and gets a code; null clears it.</summary>
    public async Task SetEmailAsync(User user, string? email, CancellationToken cancellationToken)
    {
        if (email == user.NotifyEmail)
        {
            return;
        }
        var proof = await ProofAsync(user, ContactChannel.Email, cancellationToken);
        if (email is null)
        {
            proof.Clear();
            user.EmailStatus = null;
        }
        else
        {
            SendCode(user, proof, email);
            user.EmailStatus = ContactStatus.Pending;
        }
        user.NotifyEmail = email;
    }

    /// <summary>For <c>PUT /me</c>: a changed URL is pending and gets a challenge; null clears it.</summary>
    public async Task SetWebhookAsync(User user, string? url, CancellationToken cancellationToken)
    {
        if (url == user.NotifyWebhookUrl)
        {
            return;
        }
        var proof = await ProofAsync(user, ContactChannel.Webhook, cancellationToken);
        if (url is null)
        {
            proof.Clear();
            user.WebhookStatus = null;
        }
        else
        {
            SendChallenge(user, proof, url);
            user.WebhookStatus = ContactStatus.Pending;
        }
        user.NotifyWebhookUrl = url;
    }

    /// <summary>A new code for the pending address (the earlier one stops working).</summary>
    public async Task ResendCodeAsync(User user, CancellationToken cancellationToken)
    {
        if (user.NotifyEmail is not { } email || user.EmailStatus == ContactStatus.Verified)
        {
            throw NothingPending("e-mail address");
        }
        SendCode(user, await ProofAsync(user, ContactChannel.Email, cancellationToken), email);
    }

    /// <summary>
    /// Checks the code; a right one verifies the address (and announces it). Every try counts and is saved before the
    /// answer, so guesses cannot be taken back by failing the request.
    /// </summary>
    public async Task ConfirmEmailAsync(User user, string code, CancellationToken cancellationToken)
    {
        var proof = await db.ContactVerifications.SingleOrDefaultAsync(v => v.UserId == user.Id && v.Channel == ContactChannel.Email, cancellationToken);
        if (user.EmailStatus == ContactStatus.Verified || proof is null || !proof.AwaitsCodeFor(user.NotifyEmail))
        {
            throw NothingPending("e-mail address", "No code is waiting for this address; ask for one with POST /me/email/resend.");
        }
        var now = time.GetUtcNow();
        var check = proof.Confirm(code, now);
        if (check == CodeCheck.Correct)
        {
            user.EmailStatus = ContactStatus.Verified;
            changes.Updated(user);
        }
        await SaveAsync(cancellationToken);
        switch (check)
        {
            case CodeCheck.TooManyAttempts:
                throw RequestException.TooManyRequests("Too many wrong codes",
                    $"This code was tried {ContactVerification.MaxAttempts} times; ask for a new one with POST /me/email/resend.", proof.NextSendIn(now));
            case CodeCheck.Expired:
                throw RequestException.Invalid("code", "The code has expired; ask for a new one with POST /me/email/resend.");
            case CodeCheck.Wrong:
                var left = ContactVerification.MaxAttempts - proof.Attempts;
                throw RequestException.Invalid("code", left > 0
                    ? $"The code is not right; {left} more tries with this code."
                    : "The code is not right, and it was the last try; ask for a new one with POST /me/email/resend.");
        }
    }

    /// <summary>Another challenge to the current URL, e.g. after the receiver was fixed.</summary>
    public async Task RecheckWebhookAsync(User user, CancellationToken cancellationToken)
    {
        if (user.NotifyWebhookUrl is not { } url)
        {
            throw NothingPending("webhook URL", "The profile has no webhook URL to check.");
        }
        SendChallenge(user, await ProofAsync(user, ContactChannel.Webhook, cancellationToken), url);
        if (user.WebhookStatus != ContactStatus.Pending)
        {
            user.WebhookStatus = ContactStatus.Pending; // a verified URL stops receiving until it answers again
            changes.Updated(user);
        }
    }

    /// <summary>Notifications' answer: applied when it is to the current challenge for the profile's current URL, else ignored.</summary>
    public async Task WebhookCheckedAsync(WebhookVerificationCompleted result, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.ExternalSubject == result.UserId, cancellationToken);
        if (user is null || user.NotifyWebhookUrl != result.WebhookUrl)
        {
            return;
        }
        var proof = await db.ContactVerifications.SingleOrDefaultAsync(v => v.UserId == user.Id && v.Channel == ContactChannel.Webhook, cancellationToken);
        if (proof is null || !proof.Awaits(result.VerificationId, result.WebhookUrl))
        {
            return;
        }
        proof.CheckFinished(result.Verified ? null : Truncate(result.Error ?? "The receiver did not echo the challenge.", 500));
        user.WebhookStatus = result.Verified ? ContactStatus.Verified : ContactStatus.Failed;
        changes.Updated(user);
    }

    /// <summary>Saves; a concurrent change of the same proof (two guesses at once) turns the later into a 409.</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw RequestException.Conflict("Changed meanwhile", "The profile's channels were changed by another request; reload and try again.");
        }
    }

    public Task<ContactVerification?> FindAsync(User user, ContactChannel channel, CancellationToken cancellationToken) =>
        db.ContactVerifications.AsNoTracking().SingleOrDefaultAsync(v => v.UserId == user.Id && v.Channel == channel, cancellationToken);

    private void SendCode(User user, ContactVerification proof, string email)
    {
        var now = time.GetUtcNow();
        if (proof.TryReserveSend(now) is { } wait)
        {
            throw RequestException.TooManyRequests("Too many confirmation codes",
                $"At most {ContactVerification.SendsPerWindow(ContactChannel.Email)} confirmation codes are sent per hour.", wait);
        }
        var code = proof.IssueCode(email, now);
        db.AddOutboxMessage(new EmailConfirmationRequested
        {
            ConfirmationId = Guid.CreateVersion7(now),
            UserId = user.ExternalSubject,
            Email = email,
            Code = code,
            Locale = user.Locale,
            ExpiresAt = proof.ExpiresAt!.Value,
            OccurredAt = now,
        }, now);
    }

    private void SendChallenge(User user, ContactVerification proof, string url)
    {
        var now = time.GetUtcNow();
        if (proof.TryReserveSend(now) is { } wait)
        {
            throw RequestException.TooManyRequests("Too many webhook checks",
                $"At most {ContactVerification.SendsPerWindow(ContactChannel.Webhook)} webhook checks are made per hour.", wait);
        }
        db.AddOutboxMessage(new WebhookVerificationRequested
        {
            VerificationId = proof.IssueCheck(url, now),
            UserId = user.ExternalSubject,
            WebhookUrl = url,
            OccurredAt = now,
        }, now);
    }

    private async Task<ContactVerification> ProofAsync(User user, ContactChannel channel, CancellationToken cancellationToken)
    {
        // ON CONFLICT, not a caught unique violation: two first requests of one user share one row.
        var fresh = time.GetUtcNow() - ContactVerification.Window;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO contact_verifications (user_id, channel, attempts, window_started_at, sent_in_window)
            VALUES ({user.Id}, {WireName.Of(channel)}, 0, {fresh}, 0)
            ON CONFLICT (user_id, channel) DO NOTHING
            """, cancellationToken);
        return await db.ContactVerifications.SingleAsync(v => v.UserId == user.Id && v.Channel == channel, cancellationToken);
    }

    private static RequestException NothingPending(string what, string? detail = null) =>
        RequestException.Conflict($"No {what} to verify", detail ?? $"The profile has no unverified {what}.");

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
