using Aimi.Web;

var builder = WebApplication.CreateBuilder(args);
// Public files and their settings only: tokens are validated by the gateway and the services, never here.
builder.AddServiceDefaults(validatesTokens: false);
builder.AddWebClient();

var app = builder.Build();

// The files are public (the page is where a user signs in), so they are served before authentication.
app.UseWebClientHeaders();
app.UseWebClientFiles();
// Routing after the files: otherwise "/" would already be matched to the fallback before it is rewritten to index.html.
app.UseRouting();
app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapWebClientConfig();
app.MapWebClientFallback();

app.Run();

public partial class Program;
