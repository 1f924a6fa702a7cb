using Aimi.Chat.Api.Assistant;
using Aimi.Chat.Api.Orchestration;
using Microsoft.SemanticKernel;
using Xunit;

namespace Aimi.Chat.Tests.Assistant;

/// <summary>
/// The real tools' plugin, built once per process and shared by every turn (issue 17): what the model is shown of it, and how a tool
/// finds its turn.
/// </summary>
public sealed class AssistantToolsPluginTests
{
    [Fact]
    public void The_shared_plugin_offers_every_tool_of_the_contract_and_none_shows_the_kernel_it_is_invoked_with()
    {
        var plugin = AssistantToolsPlugin.Plugin;

        Assert.Equal(AssistantTools.All.Order(), plugin.Select(f => f.Name).Order());
        Assert.All(plugin, f => Assert.DoesNotContain(f.Metadata.Parameters, p => p.ParameterType == typeof(Kernel) || p.ParameterType == typeof(CancellationToken)));
        var createEvent = plugin[AssistantTools.CreateEvent];
        Assert.Equal([AssistantTools.Parameters.Title, AssistantTools.Parameters.StartsAt, AssistantTools.Parameters.EndsAt, AssistantTools.Parameters.Notes],
            createEvent.Metadata.Parameters.Select(p => p.Name));
        Assert.Empty(plugin[AssistantTools.EndSession].Metadata.Parameters);
    }

    [Fact]
    public async Task A_tool_acts_for_the_turn_its_kernel_was_joined_to_and_refuses_a_kernel_of_no_turn()
    {
        var plugin = AssistantToolsPlugin.Plugin;
        var turnKernel = new Kernel();
        var turn = new ToolTurn(null!, null!, null!, CancellationToken.None);
        turn.JoinTo(turnKernel);

        await plugin[AssistantTools.EndSession].InvokeAsync(turnKernel);

        Assert.True(turn.EndRequested);
        Assert.Equal(AssistantTools.EndSession, Assert.Single(turn.Calls).Name);
        var other = new Kernel();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => plugin[AssistantTools.EndSession].InvokeAsync(other));
        Assert.Contains("no turn", refused.Message, StringComparison.Ordinal);
    }
}
