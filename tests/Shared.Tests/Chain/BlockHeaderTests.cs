using LedgerContrast.Shared.Chain;
using LedgerContrast.Shared.Hashing;

namespace LedgerContrast.Shared.Tests.Chain;

public class BlockHeaderTests
{
    [Fact]
    public void A_header_changed_with_with_after_it_was_hashed_has_the_hash_of_its_new_fields()
    {
        var header = new BlockHeader(BlockHeader.CurrentVersion, Hash256.Zero, Hash256.Zero, 1_000, 0x207fffff, 0);
        _ = header.Hash; // cached

        var changed = header with { Nonce = 1 };

        Assert.NotEqual(header.Hash, changed.Hash);
        Assert.Equal(BlockHeader.Decode(changed.Encode()).Hash, changed.Hash);
    }
}
