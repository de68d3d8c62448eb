namespace LedgerContrast.ChainNode.Consensus;

/// <summary>Every reject reason, one per rule.</summary>
public static class RejectReasons
{
    // Transactions: context-free
    public const string TxMalformed = "TX_MALFORMED";
    public const string TxOversize = "TX_OVERSIZE";
    public const string TxNoInputs = "TX_NO_INPUTS";
    public const string TxNoOutputs = "TX_NO_OUTPUTS";
    public const string TxAmountNotPositive = "TX_AMOUNT_NOT_POSITIVE";
    public const string TxAmountTooLarge = "TX_AMOUNT_TOO_LARGE";
    public const string TxDuplicateInput = "TX_DUPLICATE_INPUT";
    public const string TxNullInput = "TX_NULL_INPUT";
    public const string TxBadVersion = "TX_BAD_VERSION";

    // Transactions: against the chain
    public const string TxMissingInput = "TX_MISSING_INPUT";
    public const string TxInputSpent = "TX_INPUT_SPENT";
    public const string TxBadSignature = "TX_BAD_SIGNATURE";
    public const string TxOutputsExceedInputs = "TX_OUTPUTS_EXCEED_INPUTS";
    public const string TxImmatureCoinbaseSpend = "TX_IMMATURE_COINBASE_SPEND";
    public const string TxCoinbaseNotAllowed = "TX_COINBASE_NOT_ALLOWED";

    // Mempool policy
    public const string MempoolConflict = "MEMPOOL_CONFLICT";
    public const string MempoolFull = "MEMPOOL_FULL";
    public const string MempoolFeeTooLow = "MEMPOOL_FEE_TOO_LOW";
    public const string TxAlreadyKnown = "TX_ALREADY_KNOWN";
    public const string TxAlreadyConfirmed = "TX_ALREADY_CONFIRMED";

    // Blocks
    public const string BlockOversize = "BLOCK_OVERSIZE";
    public const string BlockTooManyTransactions = "BLOCK_TOO_MANY_TRANSACTIONS";
    public const string BlockNoCoinbase = "BLOCK_NO_COINBASE";
    public const string BlockMultipleCoinbase = "BLOCK_MULTIPLE_COINBASE";
    public const string BlockCoinbaseHeight = "BLOCK_COINBASE_HEIGHT";
    public const string BlockCoinbasePaysTooMuch = "BLOCK_COINBASE_PAYS_TOO_MUCH";
    public const string BlockBadMerkleRoot = "BLOCK_BAD_MERKLE_ROOT";
    public const string BlockHighHash = "BLOCK_HIGH_HASH";
    public const string BlockBadTarget = "BLOCK_BAD_TARGET";
    public const string BlockTimeTooOld = "BLOCK_TIME_TOO_OLD";
    public const string BlockTimeTooNew = "BLOCK_TIME_TOO_NEW";
    public const string BlockDoubleSpend = "BLOCK_DOUBLE_SPEND";
    public const string BlockDuplicateTransaction = "BLOCK_DUPLICATE_TRANSACTION";
    public const string BlockBadVersion = "BLOCK_BAD_VERSION";
    public const string BlockInvalidParent = "BLOCK_INVALID_PARENT";
    public const string BlockInsufficientWork = "BLOCK_INSUFFICIENT_WORK";

    // Headers (headers-first sync): a peer's answer to a locator that links to nothing
    public const string HeadersNotConnected = "HEADERS_NOT_CONNECTED";
}
