#!/usr/bin/env pwsh
# The chain CLI as README's PowerShell "Try" lines run it (tools/Cli.ps1 says how; `./chain` is the same for bash).
. (Join-Path $PSScriptRoot 'tools/Cli.ps1')
Invoke-LedgerCli 'ChainNode' 'chain.dll' $args
