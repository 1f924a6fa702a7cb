using System.Net;
using System.Text;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>Every kind of bad input is a problem-details 4xx that writes nothing: no row, no outbox message.</summary>
public sealed class BadInputTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "POST", "/events", "{\"title\": \"Dentist\", " },
        { "POST", "/events", "[1, 2, 3]" },
        { "POST", "/events", "{\"title\": \"Dentist\", \"startsAt\": \"tomorrow-ish\"}" },
        { "POST", "/events", "{\"title\": \"\", \"dueAt\": \"2030-01-01T10:00:00Z\"}" },
        { "POST", "/events", "{\"title\": \"   \"}" },
        { "POST", "/events", $"{{\"title\": \"{new string('x', 201)}\"}}" },
        { "POST", "/events", $"{{\"title\": \"ok\", \"notes\": \"{new string('n', 4001)}\"}}" },
        { "POST", "/events", "{\"type\": \"event\", \"title\": \"No time\"}" },
        { "POST", "/events", "{\"title\": \"Back to front\", \"startsAt\": \"2030-01-01T10:00:00Z\", \"endsAt\": \"2030-01-01T09:00:00Z\"}" },
        { "POST", "/events", "{\"title\": \"Too long\", \"startsAt\": \"2030-01-01T10:00:00Z\", \"endsAt\": \"2030-03-01T09:00:00Z\"}" },
        { "POST", "/events", "{\"title\": \"Sneaky\", \"dueAt\": \"2030-01-01T10:00:00Z\", \"status\": \"done\"}" },
        { "POST", "/events", "{\"title\": \"Sneaky\", \"dueAt\": \"2030-01-01T10:00:00Z\", \"userId\": \"someone-else\"}" },
        { "POST", "/events", "{\"title\": \"Sneaky\", \"dueAt\": \"2030-01-01T10:00:00Z\", \"version\": 99}" },
        { "POST", "/events", "{\"title\": \"Bad type\", \"type\": \"party\"}" },
        { "POST", "/goals", "{\"title\": \"Important\", \"importance\": 9}" },
        { "POST", "/goals", "{\"title\": \"Mine\", \"userId\": \"other\"}" },
        { "POST", "/habits", "{\"title\": \"Stretch\"}" },
        { "PUT", "/me", "{\"timeZone\": \"Nowhere/Special\"}" },
        { "PUT", "/me", "{\"id\": \"someone-else\"}" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_400_problem_and_writes_nothing(string method, string url, string body)
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        await client.GetAsync("/me"); // the user exists before, so nothing below may add to the outbox
        var outboxBefore = await host.WithDbAsync(db => db.Set<Aimi.Messaging.OutboxMessage>().CountAsync());

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.Equal(0, await host.WithDbAsync(db => db.Events.CountAsync(e => db.Users.Any(u => u.Id == e.UserId && u.ExternalSubject == userId))));
        Assert.Equal(0, await host.WithDbAsync(db => db.Goals.CountAsync(g => db.Users.Any(u => u.Id == g.UserId && u.ExternalSubject == userId))));
        Assert.Equal(outboxBefore, await host.WithDbAsync(db => db.Set<Aimi.Messaging.OutboxMessage>().CountAsync()));
    }

    [Fact]
    public async Task Unknown_field_error_names_the_field()
    {
        var response = await host.ClientFor(TestAuth.NewUserId()).PostAsync("/events",
            new StringContent("{\"title\": \"x\", \"status\": \"done\"}", Encoding.UTF8, "application/json"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("status", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Missing_or_invalid_token_is_a_401()
    {
        var anonymous = host.CreateClient();
        var forged = host.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestAuth.Token("u1")[..^4] + "AAAA");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/events")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        var problem = await (await client.PostAsync($"/events/{Guid.NewGuid()}/confirm", null)).ProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        await (await client.GetAsync("/events/not-a-guid")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
