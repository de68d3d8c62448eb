#!/usr/bin/env pwsh
# The bank CLI as README's PowerShell "Try" lines run it (tools/Cli.ps1 says how; `./bank` is the same for bash).
. (Join-Path $PSScriptRoot 'tools/Cli.ps1')
Invoke-LedgerCli 'CentralBank' 'bank.dll' $args
