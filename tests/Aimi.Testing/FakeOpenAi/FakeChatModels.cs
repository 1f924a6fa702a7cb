using System.Text.Json;

namespace Aimi.Testing.FakeOpenAi;

/// <summary>A tool call the fake model makes; <paramref name="ArgumentsJson"/> is the JSON object string the wire format carries.</summary>
public sealed record FakeToolCall(string Name, string ArgumentsJson, string? Id = null)
{
    public static FakeToolCall Create(string name, object arguments, string? id = null) =>
        new(name, JsonSerializer.Serialize(arguments), id);
}

/// <summary>One scripted assistant turn: text, tool calls, or both.</summary>
public sealed record FakeChatReply(string? Content, IReadOnlyList<FakeToolCall> ToolCalls)
{
    public static FakeChatReply Text(string content) => new(content, []);

    public static FakeChatReply CallTool(string name, object arguments, string? id = null) => new(null, [FakeToolCall.Create(name, arguments, id)]);

    public static FakeChatReply CallTools(params FakeToolCall[] calls) => new(null, calls);
}

/// <summary>A tool offered in a request (<c>tools[].function</c>).</summary>
public sealed record FakeTool(string Name, string? Description, JsonElement Parameters);

/// <summary>A tool call carried by an assistant message of a request.</summary>
public sealed record FakeRequestToolCall(string Id, string Name, string Arguments);

/// <summary>A message of a request; <see cref="Content"/> joins text parts when the content is an array.</summary>
public sealed record FakeChatMessage(string Role, string? Content, string? ToolCallId, IReadOnlyList<FakeRequestToolCall> ToolCalls);

/// <summary>A parsed <c>POST /v1/chat/completions</c> body.</summary>
public sealed record FakeChatRequest(
    string? Model,
    bool Stream,
    IReadOnlyList<FakeChatMessage> Messages,
    IReadOnlyList<FakeTool> Tools,
    JsonElement Raw)
{
    public IReadOnlyList<string> ToolNames => Tools.Select(t => t.Name).ToList();

    /// <summary>Tool results sent back (<c>role: tool</c> messages), in order.</summary>
    public IReadOnlyList<FakeChatMessage> ToolResults => Messages.Where(m => m.Role == "tool").ToList();

    public string? LastUserText => Messages.LastOrDefault(m => m.Role == "user")?.Content;
}

/// <summary>A parsed <c>POST /v1/embeddings</c> body.</summary>
public sealed record FakeEmbeddingRequest(string? Model, IReadOnlyList<string> Inputs, int? Dimensions, string? EncodingFormat);

/// <summary>Any request the server received, with the status it answered.</summary>
public sealed record FakeRecordedRequest(string Path, int StatusCode, string? Authorization);
