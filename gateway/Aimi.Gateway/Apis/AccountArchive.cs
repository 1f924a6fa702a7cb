using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Aimi.Gateway.Middleware;
using Aimi.Gateway.Routing;
using Microsoft.Net.Http.Headers;

namespace Aimi.Gateway.Apis;

/// <summary>
/// The zip <c>GET /me/export</c> streams: one entry per service (its export document exactly as the service wrote it, read
/// with the caller's own token, so each service scopes it to the caller), then <c>manifest.json</c> naming the user, the time
/// and each entry's size and SHA-256. Nothing is held whole: each service's body is copied into its entry as it arrives.
/// <para>
/// All or nothing. If the first service cannot answer, the caller gets a problem (502/503) before any byte of the archive. Once
/// the archive has started, its 200 cannot be taken back, so a later failure (a service down, an error or a stall mid-document)
/// cuts the connection instead: the transfer ends in an error, the zip has no central directory and no manifest, and no tool
/// opens it as whole. A failure is never written into a finished archive, where a glance at <c>chat.json</c> would not show it.
/// An export that produced no archive is given back to the user's quota.
/// </para>
/// </summary>
public sealed partial class AccountArchive(
    string userId, DateTimeOffset startedAt, ExportQuota quota, HttpClient http, AccountExportOptions options, TimeProvider time, ILogger<AccountArchive> logger)
    : IResult
{
    public const string HttpClientName = "account-export";
    public const string ContentType = "application/zip";
    public const string ManifestEntry = "manifest.json";
    public const string Format = "aimi-export/1";
    private const int BufferSize = 64 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var cancellationToken = httpContext.RequestAborted;
        var exports = AccountExportApi.Exports;
        HttpResponseMessage first;
        try
        {
            first = await OpenAsync(httpContext, exports[0], cancellationToken);
        }
        catch (ServiceExportException e)
        {
            quota.Return(userId, startedAt);
            LogFailed(logger, e.Service, e.Message);
            await e.ToProblem().ExecuteAsync(httpContext);
            return;
        }

        httpContext.Response.ContentType = ContentType;
        httpContext.Response.Headers.ContentDisposition = $"attachment; filename=\"aimi-export-{startedAt:yyyy-MM-dd}.zip\"";
        httpContext.Response.Headers.CacheControl = "no-store";
        var entries = new List<ManifestEntryInfo>();
        var current = exports[0];
        try
        {
            var body = new PipeWriterStream(httpContext.Response.BodyWriter, cancellationToken);
            var archive = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
            foreach (var export in exports)
            {
                current = export;
                using var response = export == exports[0] ? first : await OpenAsync(httpContext, export, cancellationToken);
                entries.Add(await CopyAsync(archive, export, response, cancellationToken));
            }
            await WriteManifestAsync(archive, entries, cancellationToken);
            // Only a whole archive gets its central directory: on any failure above it is never written.
            await archive.DisposeAsync();
            await body.FlushAsync(cancellationToken);
        }
        catch (Exception e)
        {
            quota.Return(userId, startedAt);
            if (!cancellationToken.IsCancellationRequested) // else the caller went away: nobody to tell
            {
                LogCut(logger, e, current.Service);
                httpContext.Abort();
            }
        }
        finally
        {
            first.Dispose();
        }
    }

    private async Task<HttpResponseMessage> OpenAsync(HttpContext httpContext, ServiceExport export, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServiceAddresses.For(export.Service), export.Path));
        // The caller's own token: the service validates it again and exports only what belongs to its subject.
        request.Headers.TryAddWithoutValidation(HeaderNames.Authorization, httpContext.Request.Headers.Authorization.ToString());
        request.Headers.TryAddWithoutValidation(CorrelationId.HeaderName, httpContext.Request.Headers[CorrelationId.HeaderName].ToString());
        using var idle = new CancellationTokenSource(options.IdleTimeout, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, waiting.Token);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ServiceExportException(export.Service, StatusCodes.Status504GatewayTimeout,
                $"'{export.Service}' did not answer within {options.IdleTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e)
        {
            throw new ServiceExportException(export.Service, StatusCodes.Status503ServiceUnavailable, $"'{export.Service}' could not be reached ({e.HttpRequestError}).");
        }
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new ServiceExportException(export.Service, StatusCodes.Status502BadGateway, $"'{export.Service}' answered {(int)response.StatusCode}.");
        }
        return response;
    }

    private async Task<ManifestEntryInfo> CopyAsync(ZipArchive archive, ServiceExport export, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var entry = archive.CreateEntry(export.Entry, CompressionLevel.Fastest);
        entry.LastWriteTime = startedAt;
        await using var target = await entry.OpenAsync(cancellationToken);
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A service that stops sending is given up after the idle timeout, rather than holding the archive open for ever.
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long bytes = 0;
        try
        {
            while (true)
            {
                idle.CancelAfter(options.IdleTimeout);
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, reading.Token);
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new ServiceExportException(export.Service, StatusCodes.Status504GatewayTimeout,
                        $"'{export.Service}' sent nothing for {options.IdleTimeout.TotalSeconds:0} s.");
                }
                if (read == 0)
                {
                    break;
                }
                sha256.AppendData(buffer, 0, read);
                bytes += read;
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new ManifestEntryInfo(export.Name, export.Entry, "complete", bytes, Convert.ToHexStringLower(sha256.GetHashAndReset()));
    }

    private async Task WriteManifestAsync(ZipArchive archive, IReadOnlyList<ManifestEntryInfo> entries, CancellationToken cancellationToken)
    {
        var manifest = new ExportManifest(Format, userId, startedAt, time.GetUtcNow(), Complete: true, entries);
        var entry = archive.CreateEntry(ManifestEntry, CompressionLevel.Fastest);
        entry.LastWriteTime = startedAt;
        await using var target = await entry.OpenAsync(cancellationToken);
        await JsonSerializer.SerializeAsync(target, manifest, ManifestJson, cancellationToken);
    }

    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account export refused before it started, at {Service}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string service, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account export cut off at {Service}; the connection was aborted so no partial archive looks whole")]
    private static partial void LogCut(ILogger logger, Exception exception, string service);
}

/// <summary>
/// The response body for <see cref="ZipArchive"/>, which still writes some bytes synchronously (an entry's last compressed block and
/// its sizes, when the entry is closed) and Kestrel refuses synchronous writes. Every write goes into the response pipe; the
/// asynchronous ones also send it on once enough is waiting, so the archive streams and the pipe's back-pressure holds.
/// </summary>
internal sealed class PipeWriterStream(PipeWriter pipe, CancellationToken cancellationToken) : Stream
{
    private const int SendAbove = 64 * 1024;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => pipe.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => WriteAsync(buffer.AsMemory(offset, count), token).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        pipe.Write(buffer.Span);
        if (pipe.UnflushedBytes > SendAbove)
        {
            await pipe.FlushAsync(cancellationToken);
        }
    }

    // The synchronous bytes wait in the pipe for the next asynchronous flush.
    public override void Flush()
    {
    }

    public override async Task FlushAsync(CancellationToken token) => await pipe.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary><c>manifest.json</c>, the archive's last entry: present only in a whole archive.</summary>
public sealed record ExportManifest(
    string Format, string UserId, DateTimeOffset ExportedAt, DateTimeOffset CompletedAt, bool Complete, IReadOnlyList<ManifestEntryInfo> Services);

public sealed record ManifestEntryInfo(string Service, string Entry, string Status, long Bytes, string Sha256);

/// <summary>A service whose export could not be read; before the archive starts it becomes the caller's problem details.</summary>
public sealed class ServiceExportException(string service, int status, string message) : Exception(message)
{
    public string Service { get; } = service;
    public int Status { get; } = status;

    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToProblem() => TypedResults.Problem(
        statusCode: Status,
        title: "Export unavailable",
        detail: $"The export could not be made because {Message} Nothing was exported; try again later.");
}
