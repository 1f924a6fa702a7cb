using System.Globalization;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>One case's count: what the clients had accepted, what the system stored and delivered, what was lost or done twice.</summary>
public sealed record FaultCounts(string Case, int Accepted, int Stored, int Delivered, int Lost, int Duplicated, TimeSpan Recovery, string? Note = null)
{
    public const string Header = "| case | accepted | stored | delivered | lost | duplicated | latency while the fault lasts | recovery time |";

    /// <summary>What the requests made while the fault lasted took (or, for reminders, how late they arrived).</summary>
    public string FaultLatency { get; init; } = "—";

    public string Row => string.Create(CultureInfo.InvariantCulture,
        $"| {Case} | {Accepted} | {Stored} | {Delivered} | {Lost} | {Duplicated} | {FaultLatency} | {Recovery.TotalSeconds:0.0} s |");

    /// <summary>Prints the row under the table's header (the README's table is these rows from one run).</summary>
    public void Print(ITestOutputHelper output)
    {
        output.WriteLine(Header);
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        output.WriteLine(Row);
        if (Note is not null)
        {
            output.WriteLine(Note);
        }
    }
}
