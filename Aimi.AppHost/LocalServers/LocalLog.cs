using Microsoft.Extensions.Logging;

namespace Aimi.AppHost.LocalServers;

internal static partial class LocalLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    public static partial void Line(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Aimi is up: gateway {Url}")]
    public static partial void Up(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the ephemeral data folder {Folder}: {Error}")]
    public static partial void DeleteFailed(ILogger logger, string folder, string error);
}
