using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Memory.Tests;

/// <summary>
/// Every index on <c>memories</c> is paid for by every insert (two per chat turn, a thousand per import), so each must serve a
/// query the service runs: the default vector half scans the sign bits in a btree, and no HNSW index is kept for a mode that
/// is off (issue 17: it cost 2+ ms of PostgreSQL's CPU per insert).
/// </summary>
public sealed class MemoryIndexTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Memories_keep_the_quantized_scans_index_and_no_hnsw_index()
    {
        var indexes = await host.WithDbAsync(db => db.Database
            .SqlQuery<string>($"SELECT indexdef AS \"Value\" FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'memories'")
            .ToListAsync());

        Assert.DoesNotContain(indexes, definition => definition.Contains("USING hnsw", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(indexes, definition => definition.Contains("(user_id, is_active, kind) INCLUDE (id, embedding_bits)", StringComparison.Ordinal));
    }
}
