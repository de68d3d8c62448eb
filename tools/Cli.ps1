# What bank.ps1 and chain.ps1 share (dot-sourced by both): run a CLI's Release build, building it first
# when it is missing or older than its sources, so a pulled change is never run stale. PowerShell 7 on
# Windows, Linux and macOS (`dotnet pwsh` with the repository's local tool).
#   ./bank.ps1 ARGS                     runs `bank ARGS` here and exits with its code
#   ./bank.ps1 -Background LOG ARGS     starts `bank ARGS` in the background, its output in LOG (errors in
#                                       LOG.err), and returns the process: Stop-Process it when done
function Invoke-LedgerCli([string]$Project, [string]$Dll, [object[]]$Arguments) {
    $root = Split-Path -Parent $PSScriptRoot
    if (-not (Test-Path (Join-Path $root 'LedgerContrast.sln'))) { $root = $PSScriptRoot }
    $path = Join-Path $root "src/$Project/bin/Release/net10.0/$Dll"
    $sources = @("src/$Project", 'src/Shared', 'protos') | ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ }
    $stale = -not (Test-Path $path)
    if (-not $stale) {
        $built = (Get-Item $path).LastWriteTimeUtc
        $files = @(Get-ChildItem $sources -Recurse -File -ErrorAction SilentlyContinue) + @(Get-ChildItem (Join-Path $root 'Directory.*.props') -File -ErrorAction SilentlyContinue)
        $stale = $null -ne ($files | Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' -and $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)
    }
    if ($stale) {
        [Console]::Error.WriteLine("building $($Dll -replace '\.dll$','') (Release)…")
        & dotnet build (Join-Path $root "src/$Project") -c Release -nologo -v minimal -clp:NoSummary | ForEach-Object { [Console]::Error.WriteLine($_) }
        if ($LASTEXITCODE -ne 0) { exit 4 }
        (Get-Item $path).LastWriteTimeUtc = [DateTime]::UtcNow # an unchanged build leaves it as it was; it is now as new as the sources
    }
    if ($Arguments.Count -ge 2 -and $Arguments[0] -eq '-Background') {
        $log = $Arguments[1]
        # Start-Process joins its arguments with spaces: quote those that hold one.
        $list = @($path) + @($Arguments | Select-Object -Skip 2) | ForEach-Object { if ("$_" -match '\s') { '"' + $_ + '"' } else { "$_" } }
        return Start-Process -FilePath dotnet -ArgumentList $list -RedirectStandardOutput $log -RedirectStandardError "$log.err" -PassThru -NoNewWindow
    }
    & dotnet $path @Arguments
    exit $LASTEXITCODE
}
