using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Middleware;

/// <summary>
/// Refuses request bodies larger than <c>Gateway:MaxRequestBodyBytes</c> (or the route's own limit in
/// <c>Gateway:MaxRequestBodyBytesByPath</c>) with 413. A declared Content-Length is
/// checked before anything is read; a chunked body is counted as it streams and cut off past the limit, which the
/// proxy then reports as 413 too (see <see cref="Routing.ServiceErrors"/>).
/// </summary>
public static class RequestBodyLimit
{
    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.BodyLimitFor(context.Request.Path);

        if (context.Request.ContentLength > limit)
        {
            await Problems.PayloadTooLarge(limit).ExecuteAsync(context);
            return;
        }

        // Kestrel's own limit counts chunk framing too, so a body just under the limit would fail; ours counts content.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
        {
            serverLimit.MaxRequestBodySize = null;
        }
        context.Request.Body = new LimitedReadStream(context.Request.Body, limit);

        await next(context);
    });

    /// <summary>Reads through to the request body and throws a 413 <see cref="BadHttpRequestException"/> past the limit.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit
                ? throw new BadHttpRequestException($"The request body is larger than the gateway's limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge)
                : read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
