using LedgerContrast.CentralBank.Ledger;

namespace LedgerContrast.CentralBank.Api;

/// <summary>Input checks done before anything is queued, so bad input never reaches the ledger.</summary>
internal static class RequestValidation
{
    public const int MaxNameLength = 100;
    public const int MaxIdLength = 40;
    public const int MaxKeyLength = 128;
    public const int MaxMemoLength = 500;

    public static string Name(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            throw Invalid("A customer name is required.");
        }
        if (trimmed.Length > MaxNameLength)
        {
            throw Invalid($"A customer name is at most {MaxNameLength} characters, got {trimmed.Length}.");
        }
        if (HasInvisibleCharacters(trimmed))
        {
            throw Invalid("A customer name cannot contain control, format (e.g. bidi override U+202E) or separator characters.");
        }
        return trimmed;
    }

    /// <summary>
    /// Names and reasons go into the permanent journal and onto tellers' screens: a bidi override
    /// makes one name display as another, and ESC sequences drive the terminal that prints them.
    /// </summary>
    private static bool HasInvisibleCharacters(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            switch (System.Text.Rune.GetUnicodeCategory(rune))
            {
                case System.Globalization.UnicodeCategory.Control:
                case System.Globalization.UnicodeCategory.Format:
                case System.Globalization.UnicodeCategory.LineSeparator:
                case System.Globalization.UnicodeCategory.ParagraphSeparator:
                case System.Globalization.UnicodeCategory.Surrogate:
                case System.Globalization.UnicodeCategory.PrivateUse:
                case System.Globalization.UnicodeCategory.OtherNotAssigned:
                    return true;
            }
        }
        return text.Contains('\uFFFD', StringComparison.Ordinal); // what invalid UTF-8 decodes to
    }

    /// <summary>An anchor from an earlier receipt, or null when none was sent.</summary>
    public static Audit.JournalAnchor? Anchor(ulong sequence, string? hash)
    {
        if (sequence == 0 && string.IsNullOrEmpty(hash))
        {
            return null;
        }
        if (sequence > long.MaxValue || !Audit.JournalAnchor.TryCreate((long)sequence, hash, out var anchor))
        {
            throw Invalid("An anchor is a receipt's sequence (more than 0) and its 64-hex-digit entry hash.");
        }
        return anchor;
    }

    public static string Id(string? id, string what)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw Invalid($"The {what} is required.");
        }
        if (id.Length > MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '@'))
        {
            throw new RejectionException(what.Contains("account", StringComparison.Ordinal) ? Reasons.AccountNotFound : Reasons.InvalidArgument,
                $"'{Shorten(id)}' is not a valid {what}.");
        }
        return id;
    }

    public static long Amount(long minorUnits)
    {
        if (minorUnits <= 0)
        {
            throw new RejectionException(Reasons.InvalidAmount, $"The amount must be more than zero, got {LedgerContrast.Shared.Money.Amount.FromMinorUnits(minorUnits)}.");
        }
        return minorUnits;
    }

    public static string IdempotencyKey(string? key, bool required)
    {
        key ??= "";
        if (key.Length == 0 && required)
        {
            throw Invalid("An idempotency key is required, so a retry can never move the money twice.");
        }
        if (key.Length > MaxKeyLength)
        {
            throw Invalid($"An idempotency key is at most {MaxKeyLength} characters, got {key.Length}.");
        }
        if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            throw Invalid("An idempotency key may contain only letters, digits and - _ . :");
        }
        return key;
    }

    public static string Memo(string? memo)
    {
        memo ??= "";
        if (memo.Length > MaxMemoLength)
        {
            throw Invalid($"A reason is at most {MaxMemoLength} characters, got {memo.Length}.");
        }
        if (HasInvisibleCharacters(memo))
        {
            throw Invalid("A reason cannot contain control (NUL, ESC, newline), format (bidi) or separator characters.");
        }
        return memo.Replace('|', '/');
    }

    private static RejectionException Invalid(string message) => new(Reasons.InvalidArgument, message);

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
