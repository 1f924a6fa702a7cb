using Aimi.AppHost.Hosting;

namespace Aimi.AppHost.Tests;

public class LaunchOptionsTests
{
    [Fact]
    public void No_arguments_means_up_on_the_default_ports_with_the_developers_data()
    {
        var options = LaunchOptions.Parse([]);

        Assert.Equal(LaunchOptions.Default, options);
        Assert.Equal("up", options.Command);
        Assert.Equal("goalsdb", options.DatabaseName("goalsdb"));
        Assert.Equal("aimi", options.VirtualHost);
    }

    [Fact]
    public void Parses_every_option()
    {
        var options = LaunchOptions.Parse(["up", "--port-base", "18100", "--gateway-port", "18080", "--instance", "e2e-1", "--health-timeout", "30", "--plain"]);

        Assert.Equal(new LaunchOptions("up", 18100, 18080, "e2e-1", TimeSpan.FromSeconds(30), Plain: true), options);
        Assert.Equal("e2e-1_goalsdb", options.DatabaseName("goalsdb"));
        Assert.Equal("e2e-1_aimi", options.VirtualHost);
    }

    [Theory]
    [InlineData("--port-base")]
    [InlineData("--port-base", "abc")]
    [InlineData("--gateway-port", "70000")]
    [InlineData("--gateway-port", "0")]
    [InlineData("--instance", "Bad_Name")]
    [InlineData("--instance", "1abc")]
    [InlineData("--health-timeout", "-5")]
    [InlineData("--unknown")]
    [InlineData("--plain", "up")]
    public void Rejects_bad_arguments_with_a_message(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => LaunchOptions.Parse(args));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Help_is_a_command()
    {
        Assert.Equal("help", LaunchOptions.Parse(["--help"]).Command);
    }
}
