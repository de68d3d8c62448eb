using LedgerContrast.ChainNode.Consensus;

namespace LedgerContrast.ChainNode.Tests.Harness;

public static class Reject
{
    public static async Task<ConsensusException> Block(string reason, Func<Task> submit)
    {
        var error = await Assert.ThrowsAsync<ConsensusException>(submit);
        Assert.Equal(reason, error.Reason);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    public static ConsensusException Transaction(string reason, Action submit)
    {
        var error = Assert.Throws<ConsensusException>(submit);
        Assert.Equal(reason, error.Reason);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }
}
