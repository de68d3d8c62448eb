#!/usr/bin/env pwsh
<#
.SYNOPSIS
  Launches a CentralBank and N ChainNode miners on this machine, wired in a topology, and
  prepares customers and wallets for the walk-through (README.md).

.EXAMPLE
  dotnet tool restore && dotnet pwsh ./run-network.ps1 -Demo
  dotnet pwsh ./run-network.ps1 -Nodes 5 -Topology line -Watch   (the live view on port BasePort+80, 7180)
  dotnet pwsh ./run-network.ps1 -BankReplicas 3   (also a replicated bank: 3 Raft replicas on ports BasePort+21.., 7121-7123)
  sudo dotnet pwsh ./run-network.ps1 -Emulate -LinkBandwidth 10mbit -LinkLoss 0.5%   (Linux, root: every process in a network namespace of its own, on one virtual switch)
  dotnet pwsh ./run-network.ps1 -Status
  dotnet pwsh ./run-network.ps1 -Stop
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 16)][int]$Nodes = 3,
    [ValidateSet('mesh', 'line', 'ring')][string]$Topology = 'mesh',
    [ValidateRange(1024, 65000)][int]$BasePort = 7100,
    [string]$BlockInterval = '5s',
    [ValidateRange(1, 16)][int]$MinerThreads = 1,
    [ValidateRange(1, 1000)][int]$CoinbaseMaturity = 5,
    [switch]$NoBank,
    [ValidateRange(0, 7)][int]$BankReplicas = 0,
    [string]$DataDir = '.network',
    [switch]$Status,
    [switch]$Stop,
    [switch]$Clean,
    [switch]$Demo,
    [switch]$Watch,
    [ValidateRange(0, 65535)][int]$WatchPort = 0,
    [switch]$NoBuild,
    [switch]$Emulate,
    [string]$LinkBandwidth = '',
    [string]$LinkLoss = '',
    [string]$LinkDelay = ''
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
if (-not [System.IO.Path]::IsPathRooted($DataDir)) { $DataDir = Join-Path (Get-Location) $DataDir }
$DataDir = [System.IO.Path]::GetFullPath($DataDir)
$NetworkFile = Join-Path $DataDir 'network.json'
$BankDll = Join-Path $Root 'src/CentralBank/bin/Release/net10.0/bank.dll'
$ChainDll = Join-Path $Root 'src/ChainNode/bin/Release/net10.0/chain.dll'
$ContrastDll = Join-Path $Root 'src/Contrast/bin/Release/net10.0/contrast.dll'
$Network = 'lc-local'

function Write-Step([string]$Text) { Write-Host "==> $Text" -ForegroundColor Cyan }
function Fail([string]$Text) { Write-Host "run-network: $Text" -ForegroundColor Red; exit 1 }

function Read-Network {
    if (-not (Test-Path $NetworkFile)) { return $null }
    return Get-Content $NetworkFile -Raw | ConvertFrom-Json -AsHashtable
}

# A pid is ours only if that process still runs our dll on our data directory (pids get reused).
function Test-OurProcess([int]$ProcessId, [string]$Marker) {
    $p = Get-Process -Id $ProcessId -ErrorAction SilentlyContinue
    if (-not $p) { return $false }
    $cmd = try { $p.CommandLine } catch { $null }
    return (-not $cmd) -or $cmd.Contains($Marker)
}

function Get-Processes($net) {
    $all = @()
    if ($net.bank) { $all += , $net.bank }
    if ($net.Contains('bank_replicas') -and $net.bank_replicas) { $all += @($net.bank_replicas) }
    $all += @($net.nodes)
    if ($net.Contains('watch') -and $net.watch) { $all += , $net.watch }
    return $all
}

function Stop-Network {
    $net = Read-Network
    if (-not $net) {
        Write-Host 'No network is running (no network.json).'
        if ($Emulate) { Remove-Emulation "lc$BasePort" }
        return
    }
    foreach ($proc in (Get-Processes $net)) {
        if (Test-OurProcess $proc.pid $proc.data_dir) {
            Stop-Process -Id $proc.pid -Force -ErrorAction SilentlyContinue
            Write-Host "stopped $($proc.name) (pid $($proc.pid))"
        }
    }
    foreach ($proc in (Get-Processes $net)) {
        $deadline = (Get-Date).AddSeconds(15)
        while ((Get-Process -Id $proc.pid -ErrorAction SilentlyContinue) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
    }
    if ($net.Contains('emulation') -and $net.emulation) { Remove-Emulation $net.emulation.name }
    Remove-Item $NetworkFile -ErrorAction SilentlyContinue
}

# Every namespace of an emulated run (and whatever still runs in one), its links and its switch.
function Remove-Emulation([string]$Name) {
    $out = & dotnet $ContrastDll emulate down --name $Name 2>&1
    Write-Host ($out -join "`n")
}

function Test-Running {
    $net = Read-Network
    if (-not $net) { return $false }
    foreach ($proc in (Get-Processes $net)) { if (Test-OurProcess $proc.pid $proc.data_dir) { return $true } }
    return $false
}

function Test-PortFree([int]$Port) {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
    try { $listener.Start(); return $true } catch { return $false } finally { try { $listener.Stop() } catch { } }
}

# How a client (a CLI, contrast) is run: in an emulated network inside its clients namespace
# (the only one with a route to the members' addresses), else plainly.
$script:ClientPrefix = @('dotnet')
function Set-ClientNamespace([string]$Namespace) {
    $script:ClientPrefix = if ($Namespace) { @('ip', 'netns', 'exec', $Namespace, 'dotnet') } else { @('dotnet') }
}
function Invoke-Client([string[]]$CliArgs) {
    $exe = $script:ClientPrefix[0]
    $rest = @($script:ClientPrefix | Select-Object -Skip 1) + $CliArgs
    & $exe @rest
}

function Invoke-Cli([string]$Dll, [string[]]$CliArgs) {
    $out = Invoke-Client (@($Dll) + $CliArgs) 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$([System.IO.Path]::GetFileNameWithoutExtension($Dll)) $($CliArgs -join ' ') failed: $out" }
    return ($out -join "`n")
}

# Starts a process that outlives this script, its output in log files. On Windows Start-Process;
# elsewhere through the shell, which opens the log files for the process itself: with Start-Process's
# own redirection the process writes into a pipe this script reads, and every line it logs after the
# script has exited is lost. exec: the shell's pid becomes the process's.
function Start-Detached([string[]]$Line, [string]$Log, [string]$Err) {
    if ($IsWindows) {
        return Start-Process -FilePath $Line[0] -ArgumentList ($Line | Select-Object -Skip 1) -RedirectStandardOutput $Log -RedirectStandardError $Err -PassThru -WorkingDirectory $Root
    }
    $quote = { param($text) "'" + ($text -replace "'", "'\''") + "'" }
    $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $start.ArgumentList.Add('-c')
    $start.ArgumentList.Add("exec $(($Line | ForEach-Object { & $quote $_ }) -join ' ') >$(& $quote $Log) 2>$(& $quote $Err) </dev/null")
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $Root
    return [System.Diagnostics.Process]::Start($start)
}

function Start-Server([string]$Name, [string]$Dll, [string[]]$ServerArgs, [string]$Dir, [string]$Namespace = '') {
    New-Item -ItemType Directory -Force -Path $Dir | Out-Null
    $log = Join-Path $DataDir "$Name.log"
    $err = Join-Path $DataDir "$Name.err.log"
    $all = @($Dll) + $ServerArgs
    # In an emulated network the server runs in its own namespace: ip netns exec, which execs
    # dotnet in place (the pid is the server's).
    $line = @(if ($Namespace) { @('ip', 'netns', 'exec', $Namespace) }) + @('dotnet') + $all
    $proc = Start-Detached $line $log $err
    return [ordered]@{ name = $Name; pid = $proc.Id; data_dir = $Dir; log = $log; command = @('dotnet') + $all; url = ''; namespace = $(if ($Namespace) { $Namespace } else { $null }) }
}

function Wait-Healthy($proc, [string]$HealthDll, [string]$UrlOption) {
    $deadline = (Get-Date).AddSeconds(60)
    while ((Get-Date) -lt $deadline) {
        if (-not (Get-Process -Id $proc.pid -ErrorAction SilentlyContinue)) {
            $why = (Get-Content (Join-Path $DataDir "$($proc.name).err.log") -Raw -ErrorAction SilentlyContinue) + (Get-Content $proc.log -Raw -ErrorAction SilentlyContinue)
            throw "$($proc.name) exited during start: $why"
        }
        Invoke-Client @($HealthDll, 'health', $UrlOption, $proc.url) *> $null
        if ($LASTEXITCODE -eq 0) { return }
        Start-Sleep -Milliseconds 300
    }
    throw "$($proc.name) did not become healthy within 60 s (see $($proc.log))"
}

function Show-Status {
    $net = Read-Network
    if (-not $net) { Write-Host 'No network is running.'; return }
    $procs = @(Get-Processes $net | ForEach-Object { [ordered]@{ proc = $_; alive = (Test-OurProcess $_.pid $_.data_dir) } })
    $clientNs = if ($net.Contains('emulation') -and $net.emulation) { $net.emulation.clients_namespace } else { '' }
    # Every process is asked at once: one CLI start each, in parallel, not one after another.
    $rows = $procs | ForEach-Object -ThrottleLimit 16 -Parallel {
        $proc = $_.proc; $alive = $_.alive
        # Each CLI runs where the network's clients do (its clients namespace, when emulated).
        $ns = $using:clientNs
        function Invoke-Client([string[]]$CliArgs) { if ($ns) { & ip netns exec $ns dotnet @CliArgs } else { & dotnet @CliArgs } }
        $row = [ordered]@{ Name = $proc.name; Url = $proc.url; Pid = $proc.pid; Alive = $alive; Height = ''; Peers = ''; Mempool = ''; Role = ''; Term = ''; Commit = ''; Lag = '' }
        if ($alive -and $proc.name -like 'node*') {
            $info = Invoke-Client @($using:ChainDll, 'info', '--node', $proc.url, '--json') 2>$null
            if ($LASTEXITCODE -eq 0) {
                $i = ($info -join "`n") | ConvertFrom-Json
                $row.Height = $i.height; $row.Peers = $i.peers; $row.Mempool = $i.mempool
            }
        }
        elseif ($alive -and $proc.name -like 'bank-r*') {
            # One replica's own view (role, term, commit, applied); lag = the highest commit index any replica reports minus this one's applied, filled in below.
            $st = Invoke-Client @($using:BankDll, 'status', '--server', $proc.url, '--json') 2>$null
            if ($LASTEXITCODE -eq 0) {
                $r = (($st -join "`n") | ConvertFrom-Json).replicas[0]
                $row.Height = 'serving'; $row.Role = $r.role; $row.Term = $r.term; $row.Commit = $r.commit_index; $row.Lag = $r.applied_index
            }
            else { $row.Height = 'not serving' }
        }
        elseif ($alive -and $proc.name -eq 'bank') {
            Invoke-Client @($using:BankDll, 'health', '--server', $proc.url) *> $null
            $row.Height = if ($LASTEXITCODE -eq 0) { 'serving' } else { 'not serving' }
        }
        [pscustomobject]$row
    }
    $order = @($procs | ForEach-Object { $_.proc.name })
    $rows = @($rows | Sort-Object { $order.IndexOf($_.Name) })
    $replicaRows = @($rows | Where-Object { $_.Name -like 'bank-r*' })
    $commits = @($replicaRows | Where-Object { $_.Commit -ne '' } | ForEach-Object { [long]$_.Commit })
    $top = if ($commits.Count) { [long]($commits | Measure-Object -Maximum).Maximum } else { [long]0 }
    foreach ($r in $replicaRows) { if ($r.Lag -ne '') { $r.Lag = $top - [long]$r.Lag } }
    $rows | Where-Object { $_.Name -notlike 'bank-r*' } | Format-Table -Property Name, Url, Pid, Alive, Height, Peers, Mempool -AutoSize | Out-String | Write-Host
    if ($replicaRows.Count) {
        Write-Host 'Replicated bank (Lag: entries behind the highest commit index a replica reports):'
        $replicaRows | Format-Table -Property Name, Url, Pid, Alive, @{ n = 'Serving'; e = { $_.Height } }, Role, Term, Commit, Lag -AutoSize | Out-String | Write-Host
    }
}

function Start-Network {
    if (Test-Running) {
        Write-Host "A network is already running from $NetworkFile; not starting another." -ForegroundColor Yellow
        Show-Status
        return
    }
    $replicaPorts = @(if ($BankReplicas -gt 0) { 1..$BankReplicas | ForEach-Object { $BasePort + 20 + $_ } })
    if ($Emulate) {
        if (-not $IsLinux) { Fail '-Emulate needs Linux: it puts every process in a network namespace of its own; on this system run without -Emulate.' }
        if ((& id -u) -ne '0') { Fail '-Emulate needs root: it creates network namespaces, virtual links and nftables rules (run it with sudo, or without -Emulate).' }
    }
    else {
        if ($LinkBandwidth -or $LinkLoss -or $LinkDelay) { Fail '-LinkBandwidth, -LinkLoss and -LinkDelay shape the links of an emulated network: add -Emulate (Linux, root).' }
        # Ports are checked on loopback; an emulated network's are in namespaces of its own.
        $ports = @(if (-not $NoBank) { $BasePort }) + @(1..$Nodes | ForEach-Object { $BasePort + $_ }) + $replicaPorts + @($replicaPorts | ForEach-Object { $_ + 1000 })
        $busy = @($ports | Where-Object { -not (Test-PortFree $_) })
        if ($busy.Count -gt 0) { Fail "port(s) $($busy -join ', ') already in use; choose another -BasePort or stop what uses them." }
    }

    if (-not $NoBuild) {
        Write-Step 'Building (Release)'
        # Minimal verbosity: a line per project built, so a first build (minutes) is never silent.
        & dotnet build (Join-Path $Root 'LedgerContrast.sln') -c Release -nologo -v minimal -clp:NoSummary | Out-Host
        if ($LASTEXITCODE -ne 0) { Fail 'the build failed.' }
    }
    New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
    $emulation = $null
    if ($Emulate) {
        $members = @(if (-not $NoBank) { 'bank' }) + @(if ($BankReplicas -gt 0) { 1..$BankReplicas | ForEach-Object { "bank-r$_" } }) + @(1..$Nodes | ForEach-Object { "node$_" }) + @('clients')
        Write-Step "Building the emulated network lc${BasePort}: $($members.Count) network namespaces on one switch$(if ($LinkBandwidth -or $LinkLoss -or $LinkDelay) { " (links: $((@($LinkBandwidth, $(if ($LinkLoss) { "$LinkLoss loss" }), $(if ($LinkDelay) { "$LinkDelay delay" })) | Where-Object { $_ }) -join ', '))" })"
        $up = & dotnet $ContrastDll emulate up --name "lc$BasePort" --base-port "$BasePort" --members ($members -join ',') --bandwidth $LinkBandwidth --loss $LinkLoss --delay $LinkDelay --json 2>&1
        $reply = try { ($up -join "`n") | ConvertFrom-Json -AsHashtable } catch { $null }
        if ($LASTEXITCODE -ne 0 -or -not $reply) { Fail "the emulated network was not built: $(if ($reply -and $reply.Contains('error')) { $reply.error.message } else { $up -join ' ' })" }
        $emulation = $reply
        Set-ClientNamespace $emulation.clients_namespace
        if ($LinkDelay -and $emulation.link.delay_by -eq '--link-latency') { Write-Host "    this kernel has no netem: the nodes delay their own messages by $LinkDelay (--link-latency)" }
    }
    # Where a member listens: its own address in an emulated network, else loopback.
    function Get-HostOf([string]$Member) { if ($emulation) { ($emulation.members | Where-Object { $_.name -eq $Member }).address } else { '127.0.0.1' } }
    function Get-NamespaceOf([string]$Member) { if ($emulation) { ($emulation.members | Where-Object { $_.name -eq $Member }).namespace } else { '' } }
    $walletDir = Join-Path $DataDir 'wallets'
    foreach ($w in 'alice', 'bob', 'carol', 'miner') {
        if (-not (Test-Path (Join-Path $walletDir "$w.json"))) { Invoke-Cli $ChainDll @('wallet', 'new', $w, '--wallet-dir', $walletDir, '--network', $Network) | Out-Null }
    }
    $addresses = @{}
    foreach ($w in 'alice', 'bob', 'carol', 'miner') {
        $addresses[$w] = (Invoke-Cli $ChainDll @('wallet', 'address', $w, '--wallet-dir', $walletDir, '--network', $Network, '--json') | ConvertFrom-Json).address
    }

    $started = @()
    try {
        $net = [ordered]@{ network = $Network; topology = $Topology; data_dir = $DataDir; wallet_dir = $walletDir; bank = $null; admin_token_file = $null; customers = [ordered]@{}; nodes = @(); bank_replicas = @(); replica_admin_token_file = $null; watch = $null; emulation = $emulation }
        if (-not $NoBank) {
            $bankHost = Get-HostOf 'bank'
            Write-Step "Starting the bank on $($bankHost):$BasePort"
            $bankDir = Join-Path $DataDir 'bank'
            $bank = Start-Server 'bank' $BankDll @('serve', '--port', "$BasePort", '--host', $bankHost, '--data', $bankDir) $bankDir (Get-NamespaceOf 'bank')
            $bank.url = "http://$($bankHost):$BasePort"
            $started += , $bank
            Wait-Healthy $bank $BankDll '--server'
            $net.bank = $bank
            $net.admin_token_file = Join-Path $bankDir 'admin.token'
        }

        if ($BankReplicas -gt 0) {
            # One ledger on N Raft replicas (bank serve --replicas): every replica the same list, its own
            # data directory and the one admin token, generated here once and kept beside them.
            $replicaRoot = Join-Path $DataDir 'bank-replicas'
            New-Item -ItemType Directory -Force -Path $replicaRoot | Out-Null
            $tokenFile = Join-Path $replicaRoot 'admin.token'
            if (-not (Test-Path $tokenFile)) {
                [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(24)).ToLowerInvariant() | Set-Content -NoNewline $tokenFile
                if (-not $IsWindows) { & chmod 600 $tokenFile }
            }
            $list = (1..$BankReplicas | ForEach-Object { "$(Get-HostOf "bank-r$_"):$($replicaPorts[$_ - 1])" }) -join ','
            Write-Step "Starting the replicated bank: $BankReplicas replicas on ports $($replicaPorts -join ', ') (Raft on $(($replicaPorts | ForEach-Object { $_ + 1000 }) -join ', '))"
            for ($r = 1; $r -le $BankReplicas; $r++) {
                $dir = Join-Path $replicaRoot "r$r"
                $replicaProc = Start-Server "bank-r$r" $BankDll @('serve', '--data', $dir, '--replicas', $list, '--replica', "$r", '--admin-token-file', $tokenFile) $dir (Get-NamespaceOf "bank-r$r")
                $replicaProc.url = "http://$(Get-HostOf "bank-r$r"):$($replicaPorts[$r - 1])"
                $started += , $replicaProc
                $net.bank_replicas += , $replicaProc
            }
            foreach ($replicaProc in $net.bank_replicas) { Wait-Healthy $replicaProc $BankDll '--server' }
            $net.replica_admin_token_file = $tokenFile
            # Serving is not leading: wait until one replica says it leads (an election takes a few hundred ms).
            $deadline = (Get-Date).AddSeconds(60)
            $urls = ($net.bank_replicas | ForEach-Object { $_.url }) -join ','
            while ($true) {
                $st = Invoke-Client @($BankDll, 'status', '--server', $urls, '--json') 2>$null
                if ($LASTEXITCODE -eq 0 -and @((($st -join "`n") | ConvertFrom-Json).replicas | Where-Object { $_.role -eq 'leader' }).Count -eq 1) { break }
                if ((Get-Date) -gt $deadline) { throw "the replicated bank elected no leader within 60 s (see $replicaRoot and the bank-r*.log files)" }
                Start-Sleep -Milliseconds 300
            }
        }

        $miners = @('alice', 'bob', 'miner')
        for ($i = 1; $i -le $Nodes; $i++) {
            $port = $BasePort + $i
            # Peers by node number; each listens on its own address (emulated) or a port of loopback.
            $peerNumbers = switch ($Topology) {
                'mesh' { @(if ($i -gt 1) { 1..($i - 1) }) }
                'line' { @(if ($i -gt 1) { $i - 1 }) }
                'ring' { @(if ($i -gt 1) { $i - 1 }) + @(if ($i -eq $Nodes -and $Nodes -gt 2) { 1 }) }
            }
            $peers = @($peerNumbers | ForEach-Object { "$(Get-HostOf "node$_"):$($BasePort + $_)" })
            $nodeHost = Get-HostOf "node$i"
            # A line or a ring keeps exactly the links it is given: a node that wants more outbound
            # peers dials addresses learned from its peers, and the head of a line (or of a ring,
            # which only its last node dials) would close the line into a triangle.
            $outbound = if ($Topology -eq 'mesh') { $Nodes } else { $peers.Count }
            $nodeDir = Join-Path $DataDir "node$i"
            $nodeArgs = @('node', '--port', "$port", '--data', $nodeDir, '--mine', '--miner-address', $addresses[$miners[[Math]::Min($i - 1, 2)]],
                '--block-interval', $BlockInterval, '--miner-threads', "$MinerThreads", '--coinbase-maturity', "$CoinbaseMaturity",
                '--network', $Network, '--outbound', "$outbound", '--host', $nodeHost)
            if ($emulation -and $emulation.link.delay_by -eq '--link-latency') { $nodeArgs += @('--link-latency', $LinkDelay) }
            foreach ($p in $peers) { $nodeArgs += @('--peer', $p) }
            Write-Step "Starting node$i on $($nodeHost):$port$(if ($peers) { ' (peers ' + ($peers -join ', ') + ')' })"
            $node = Start-Server "node$i" $ChainDll $nodeArgs $nodeDir (Get-NamespaceOf "node$i")
            $node.url = "http://$($nodeHost):$port"
            $started += , $node
            Wait-Healthy $node $ChainDll '--node'
            $net.nodes += , $node
        }
        $net | ConvertTo-Json -Depth 6 | Set-Content $NetworkFile

        if (-not $NoBank) {
            # The customers of an earlier run on this data directory are reused (their accounts and
            # tokens are kept beside it, as -Stop removes network.json): acc-1 stays alice's.
            $customersFile = Join-Path $DataDir 'customers.json'
            $earlier = if (Test-Path $customersFile) { Get-Content $customersFile -Raw | ConvertFrom-Json -AsHashtable } else { @{} }
            Write-Step "$(if ($earlier.Count) { 'Reusing' } else { 'Preparing' }) bank customers alice, bob and carol"
            $admin = (Get-Content $net.admin_token_file -Raw).Trim()
            $bankArgs = @('--server', $net.bank.url, '--token', $admin, '--profile', (Join-Path $DataDir 'bank-profile.json'), '--json')
            foreach ($c in 'alice', 'bob', 'carol') {
                if ($earlier.Contains($c)) {
                    Invoke-Client @($BankDll, 'balance', $earlier[$c].account_id, '--server', $net.bank.url, '--token', $earlier[$c].token, '--json') *> $null
                    if ($LASTEXITCODE -eq 0) { $net.customers[$c] = $earlier[$c]; continue }
                }
                $customer = Invoke-Cli $BankDll (@('customer', 'create', $c) + $bankArgs) | ConvertFrom-Json
                $account = Invoke-Cli $BankDll (@('account', 'open', '--customer', $customer.customer_id) + $bankArgs) | ConvertFrom-Json
                Invoke-Cli $BankDll (@('deposit', '--account', $account.account_id, '--amount', '1000') + $bankArgs) | Out-Null
                $net.customers[$c] = [ordered]@{ customer_id = $customer.customer_id; account_id = $account.account_id; token = $customer.token }
            }
            $net.customers | ConvertTo-Json -Depth 4 | Set-Content $customersFile
            if (-not $IsWindows) { & chmod 600 $customersFile }
            $net | ConvertTo-Json -Depth 6 | Set-Content $NetworkFile
            if (-not $IsWindows) { & chmod 600 $NetworkFile }
        }
    }
    catch {
        Write-Host "run-network: $($_.Exception.Message)" -ForegroundColor Red
        Write-Host 'Stopping everything this run started.' -ForegroundColor Red
        foreach ($proc in $started) { Stop-Process -Id $proc.pid -Force -ErrorAction SilentlyContinue }
        if ($emulation) { Remove-Emulation $emulation.name }
        Remove-Item $NetworkFile -ErrorAction SilentlyContinue
        exit 1
    }

    if ($Watch -or $Demo) {
        $port = if ($WatchPort -gt 0) { $WatchPort } else { $BasePort + 80 }
        Write-Step "Starting the live view (contrast watch) on port $port"
        $log = Join-Path $DataDir 'watch.log'
        $watchHost = '127.0.0.1'
        if ($emulation) {
            # The live view runs with the clients (it reaches every member from there); the browser
            # reaches it through a window: a link from this namespace into the clients', and no further.
            $window = (& dotnet $ContrastDll emulate window --network-file $NetworkFile --json 2>&1) -join "`n" | ConvertFrom-Json -AsHashtable
            if ($LASTEXITCODE -ne 0) { Fail "the live view's window was not opened: $($window.error.message)" }
            $watchHost = $window.clients_address
        }
        $all = @($ContrastDll, 'watch', '--network-file', $NetworkFile, '--port', "$port", '--host', $watchHost)
        $line = @(if ($emulation) { @('ip', 'netns', 'exec', $emulation.clients_namespace) }) + @('dotnet') + $all
        $proc = Start-Detached $line $log (Join-Path $DataDir 'watch.err.log')
        $net.watch = [ordered]@{ name = 'watch'; pid = $proc.Id; data_dir = $DataDir; log = $log; command = @('dotnet') + $all; url = "http://$($watchHost):$port/"; namespace = $(if ($emulation) { $emulation.clients_namespace } else { $null }) }
        $deadline = (Get-Date).AddSeconds(30)
        while (-not (Select-String -Path $log -Pattern 'listening on' -Quiet -ErrorAction SilentlyContinue) -and (Get-Date) -lt $deadline) {
            if ($proc.HasExited) { Write-Host "run-network: the live view did not start: $(Get-Content (Join-Path $DataDir 'watch.err.log') -Raw)$(Get-Content $log -Raw)" -ForegroundColor Red; break }
            Start-Sleep -Milliseconds 200
        }
        $net | ConvertTo-Json -Depth 6 | Set-Content $NetworkFile
        if (-not $IsWindows) { & chmod 600 $NetworkFile }
    }

    Write-Host ''
    Show-Status
    if ($net.Contains('watch') -and $net.watch) { Write-Host "Live view: $($net.watch.url) (open it in a browser; -Stop stops it)" -ForegroundColor Green }
    $first = $net.nodes[0].url
    Write-Host "Network file: $NetworkFile (the CLIs and contrast read it when run from this directory)"
    Write-Host ''
    Write-Host 'Try:' -ForegroundColor Green
    $run = $script:ClientPrefix -join ' '
    if ($emulation) { Write-Host "  (every client runs in the network's clients namespace, $($emulation.clients_namespace): the only one with a route to the members' addresses)" }
    if (-not $NoBank) {
        $a = $net.customers.alice.account_id; $b = $net.customers.bob.account_id
        Write-Host "  $run $BankDll balance $a --as alice"
        Write-Host "  $run $BankDll transfer --from $a --to $b --amount 12.5 --as alice"
        Write-Host "  $run $BankDll history $a --as alice"
    }
    if ($net.bank_replicas.Count) {
        $urls = ($net.bank_replicas | ForEach-Object { $_.url }) -join ','
        Write-Host "  $run $BankDll status --server $urls      (the replicated bank: who leads, term, commit, lag)"
        Write-Host "  BANK_TOKEN=`$(cat $($net.replica_admin_token_file)) $run $BankDll customer create dora --server $urls      (clients follow the leader)"
    }
    Write-Host "  $run $ChainDll info --node $first"
    Write-Host "  $run $ChainDll balance --wallet alice --node $first      (coins mature after $CoinbaseMaturity blocks)"
    Write-Host "  $run $ChainDll send --wallet alice --to bob --amount 12.5 --node $first      (bob: a wallet name or an address)"
    Write-Host "  $run $ChainDll tips --node $first"
    Write-Host "  $run $ContrastDll all"
    Write-Host "  dotnet pwsh ./run-network.ps1 -Status | -Stop | -Clean"
}

if ($Stop) { Stop-Network; exit 0 }
if ($Clean) { Stop-Network; Remove-Item $DataDir -Recurse -Force -ErrorAction SilentlyContinue; Write-Host "Removed $DataDir"; exit 0 }
if ($Status) { Show-Status; exit 0 }

Start-Network
if ($Demo) {
    # The short version of every experiment (about 5 minutes here); `contrast all` without --quick measures longer.
    Write-Step 'Running every contrast experiment (contrast all --quick)'
    Invoke-Client @($ContrastDll, 'all', '--quick', '--network-file', $NetworkFile, '--out', (Join-Path $DataDir 'report'))
    if ($LASTEXITCODE -ne 0) { Fail 'contrast all failed; the network is left running for a look (-Status, -Stop).' }
    $live = (Read-Network).watch
    Write-Host "The network is still running$(if ($live) { ", and its live view at $($live.url)" }): explore, then -Stop."
}
