using System.Runtime.InteropServices;

namespace Aimi.AI.Local;

/// <summary>Handing memory back to Linux. Both are advice: where a call is not there or is refused, the process keeps the memory, as it would have anyway.</summary>
internal static partial class LinuxMemory
{
    // MADV_PAGEOUT (Linux 5.4): reclaim the pages now. Clean pages of a mapped file are read again from the file if touched.
    private const int PageOutAdvice = 21;

    /// <summary>glibc's <c>malloc_trim</c>: the free memory at the top of its heaps and in whole free pages goes back to the system.</summary>
    public static void TrimHeap()
    {
        try
        {
            _ = malloc_trim(0); // 1 when it gave memory back, 0 when there was none to give
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc: musl has no malloc_trim.
        }
    }

    /// <summary>Asks the kernel to reclaim the whole pages of <paramref name="mapped"/> (nothing is lost: they are read again if touched).</summary>
    public static unsafe void PageOut(UnmanagedMemoryStream mapped)
    {
        var page = (nint)Environment.SystemPageSize;
        var start = (nint)mapped.PositionPointer - (nint)mapped.Position;
        var from = (start + page - 1) & ~(page - 1);
        var to = (start + (nint)mapped.Length) & ~(page - 1);
        if (to > from)
        {
            _ = madvise(from, (nuint)(to - from), PageOutAdvice); // -1 on a kernel before 5.4: the pages stay
        }
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc")]
    private static partial int madvise(nint address, nuint length, int advice);
}
