using System.Net;
using System.Net.Sockets;
using Aimi.ServiceDefaults.Targets;

namespace Aimi.Notifications.Api.Channels;

/// <summary>
/// Outbound HTTP to addresses users gave (webhooks, push endpoints). The address actually connected to is checked, not
/// only the name, so a DNS answer cannot point a request at loopback or the internal network (server-side request forgery);
/// the addresses are classified by <see cref="InternalAddresses"/>, as at registration. Of an answer's body at most
/// <see cref="MaxResponseBody"/> bytes are read, whoever reads the response and however: the receiver is a stranger, and
/// many deliveries run at once in a small pod.
/// </summary>
public static class GuardedHttp
{
    /// <summary>What is kept of a response body (enough for an error's explanation); the rest is never read.</summary>
    public const int MaxResponseBody = 4096;

    /// <param name="readSuccessBodies">Whether a success's body is read too (its first 4 KiB): a verification's answer is in it.</param>
    public static HttpMessageHandler CreateHandler(bool allowPrivate, bool readSuccessBodies = false) => new BoundedResponses(readSuccessBodies, new SocketsHttpHandler
    {
        AllowAutoRedirect = false, // a redirect could lead anywhere
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context, allowPrivate, cancellationToken),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        // A body left unread beyond this closes the connection instead of being drained for reuse.
        MaxResponseDrainSize = MaxResponseBody,
    });

    /// <summary>
    /// Replaces each response's body before the caller sees it and lets the connection go: a success says all in its
    /// status, so its body is not read at all; of a refusal's body, which explains it, the first <see cref="MaxResponseBody"/>
    /// bytes are kept (and of a success's, when the handler was made to read them), read under the request's cancellation (the client's timeout and the caller's deadline). A receiver
    /// answering with a huge or endless body costs 4 KiB, and one that stalls mid-body no more than the deadline.
    /// </summary>
    private sealed class BoundedResponses(bool readSuccessBodies, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var original = response.Content;
            try
            {
                var head = response.IsSuccessStatusCode && !readSuccessBodies ? [] : await ReadHeadAsync(original, cancellationToken);
                var bounded = new ByteArrayContent(head);
                foreach (var (name, values) in original.Headers)
                {
                    if (!name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        bounded.Headers.TryAddWithoutValidation(name, values);
                    }
                }
                response.Content = bounded;
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
            finally
            {
                original.Dispose();
            }
        }

        private static async Task<byte[]> ReadHeadAsync(HttpContent content, CancellationToken cancellationToken)
        {
            var head = new byte[MaxResponseBody];
            var length = 0;
            try
            {
                await using var body = await content.ReadAsStreamAsync(cancellationToken);
                int read;
                while (length < head.Length && (read = await body.ReadAsync(head.AsMemory(length), cancellationToken)) > 0)
                {
                    length += read;
                }
            }
            catch (IOException)
            {
                // The body broke off: what came is the explanation.
            }
            return head[..length];
        }
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var allowed = allowPrivate ? addresses : addresses.Where(a => !InternalAddresses.IsInternal(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new ChannelException($"The host {context.DnsEndPoint.Host} is on a loopback or private network; such targets are refused.", permanent: true);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
