using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LedgerContrast.Shared.Cli;
using static LedgerContrast.Shared.Cli.NetworkFile;

namespace LedgerContrast.Contrast.Emulation;

/// <summary>
/// The lab's machines as the kernel emulates them (run-network.ps1 -Emulate): a network namespace
/// per member — each node, bank (replica) and the clients — joined by a veth pair each to one
/// bridge in a namespace of the run's own (NAME-switch). Each member has one address from a
/// private /24 that is routed nowhere else; its link is limited both ways by tc tbf and,
/// where the kernel has netem, delayed; the switch drops a share of packets (loss) and every
/// packet between two sides of a partition (nftables, bridge family). Nothing here touches the
/// root namespace's interfaces or routes.
/// </summary>
public static partial class EmulatedNetwork
{
    /// <summary>The member the CLIs, `contrast` and the live view run in.</summary>
    public const string Clients = "clients";

    /// <summary>Host numbers of the members run-network.ps1 starts are 2…100; members attached later (the lab's own nodes) from here.</summary>
    public const int FirstAttachedHost = 101;

    private const string Bridge = "lc0", Table = "lc", SideA = "side_a", SideB = "side_b";

    /// <summary>Why an emulated network cannot be built here (one sentence), or null when it can.</summary>
    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "The emulated network needs Linux (network namespaces, veth, tc and nftables); on this system run without -Emulate.";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "The emulated network needs root (it creates network namespaces, virtual links and nftables rules): run it with sudo, or without -Emulate.";
        }
        foreach (var (tool, args) in new[] { ("ip", new[] { "netns", "list" }), ("tc", ["-V"]), ("nft", ["--version"]) })
        {
            try
            {
                if (Kernel.TryRun(tool, args).Exit != 0)
                {
                    return $"`{tool} {string.Join(' ', args)}` fails here: the emulated network needs iproute2 and nftables.";
                }
            }
            catch (CliException ex)
            {
                return ex.Message;
            }
        }
        return null;
    }

    /// <summary>The /24 of a run on <paramref name="basePort"/> (its first three octets): 10.hi.lo, so runs on different base ports never share addresses.</summary>
    public static string PrefixOf(int basePort) => string.Create(CultureInfo.InvariantCulture, $"10.{(basePort >> 8) & 255}.{basePort & 255}");

    /// <summary>
    /// Builds the switch and one namespace per member (in order, hosts .2, .3…), every link
    /// shaped by <paramref name="link"/>. Half-built state is torn down before a failure is reported.
    /// </summary>
    public static NetworkEmulation Up(string name, int basePort, IReadOnlyList<string> members, LinkShape link)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(link);
        CheckName(name, "run name");
        if (members.Count is 0 or > 99 || members.Distinct().Count() != members.Count)
        {
            throw new CliException("INVALID_ARGUMENT", "An emulated network needs 1 to 99 members with distinct names.");
        }
        members.ToList().ForEach(m => CheckName(m, "member name"));
        if (Kernel.Namespaces().FirstOrDefault(n => n.StartsWith(name + "-", StringComparison.Ordinal)) is { } existing)
        {
            throw new CliException("EMULATION_EXISTS", $"Namespace {existing} already exists: an emulated network named {name} is up (tear it down with `contrast emulate down --name {name}`).");
        }
        var sw = name + "-switch";
        try
        {
            Kernel.AddNamespace(sw);
            Kernel.Run("ip", "-n", sw, "link", "set", "lo", "up");
            Kernel.Run("ip", "-n", sw, "link", "add", Bridge, "type", "bridge");
            Kernel.Run("ip", "-n", sw, "link", "set", Bridge, "up");
            var netem = HasNetem(sw);
            Kernel.Nft(sw, Rules(link));
            var emulation = new NetworkEmulation
            {
                Name = name,
                Prefix = PrefixOf(basePort) + ".0/24",
                SwitchNamespace = sw,
                ClientsNamespace = members.Contains(Clients) ? $"{name}-{Clients}" : "",
                Link = new EmulatedLink { Bandwidth = link.BandwidthText, Loss = link.LossText, Delay = link.DelayText, DelayBy = link.Delay == TimeSpan.Zero ? "" : netem ? "netem" : "--link-latency" },
            };
            for (var i = 0; i < members.Count; i++)
            {
                emulation.Members.Add(AddMember(emulation, members[i], 2 + i, link, netem));
            }
            return emulation;
        }
        catch
        {
            Down(name);
            throw;
        }
    }

    /// <summary>
    /// Adds members to a running emulated network (the lab's own nodes for one experiment), hosts
    /// from .<see cref="FirstAttachedHost"/>, their links shaped by <paramref name="link"/>
    /// (which may differ from the run's). Returns them; <see cref="Detach"/> removes them.
    /// </summary>
    public static List<EmulatedMember> Attach(NetworkEmulation emulation, IReadOnlyList<string> members, LinkShape link)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(link);
        var taken = emulation.Members.Select(m => Host(m.Address)).Where(h => h >= FirstAttachedHost).DefaultIfEmpty(FirstAttachedHost - 1).Max();
        if (taken + members.Count > 254)
        {
            throw new CliException("INVALID_ARGUMENT", $"An emulated network has room for {254 - taken} more members, not {members.Count}.");
        }
        var netem = HasNetem(emulation.SwitchNamespace);
        var added = new List<EmulatedMember>();
        try
        {
            foreach (var member in members)
            {
                CheckName(member, "member name");
                var one = AddMember(emulation, member, ++taken, link, netem);
                added.Add(one);
                emulation.Members.Add(one);
            }
            return added;
        }
        catch
        {
            Detach(emulation, added);
            throw;
        }
    }

    /// <summary>Kills what runs in these members' namespaces and deletes them (their links go with them).</summary>
    public static void Detach(NetworkEmulation emulation, IEnumerable<EmulatedMember> members)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        foreach (var member in members.ToList())
        {
            Remove(member.Namespace);
            emulation.Members.RemoveAll(m => m.Name == member.Name);
        }
    }

    /// <summary>Tears down every namespace named NAME-…: kills what runs in each, then deletes it. Returns what it deleted.</summary>
    public static List<string> Down(string name)
    {
        CheckName(name, "run name");
        var ours = Kernel.Namespaces().Where(n => n.StartsWith(name + "-", StringComparison.Ordinal)).ToList();
        // The members first, the switch last: each member's link is deleted with its namespace.
        foreach (var ns in ours.OrderBy(n => n == name + "-switch"))
        {
            Remove(ns);
        }
        return ours;
    }

    /// <summary>
    /// A partition: the switch drops every packet between a member of one side and a member of
    /// the other, both ways (members on neither side reach both). The members' own state — a
    /// node's peer list, a client's channel — is untouched: they find out as a real machine does.
    /// </summary>
    public static void Cut(NetworkEmulation emulation, IReadOnlyCollection<string> sideA, IReadOnlyCollection<string> sideB)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        ArgumentNullException.ThrowIfNull(sideA);
        ArgumentNullException.ThrowIfNull(sideB);
        if (sideA.Count == 0 || sideB.Count == 0)
        {
            throw new CliException("INVALID_ARGUMENT", "A partition needs at least one member on each side.");
        }
        if (sideA.Intersect(sideB).FirstOrDefault() is { } both)
        {
            throw new CliException("INVALID_ARGUMENT", $"{both} cannot be on both sides of a partition.");
        }
        string Addresses(IEnumerable<string> side) => string.Join(", ", side.Select(name =>
            emulation.Members.FirstOrDefault(m => m.Name == name)?.Address
            ?? throw new CliException("UNKNOWN_MEMBER", $"{name} is not a member of the emulated network {emulation.Name} ({string.Join(", ", emulation.Members.Select(m => m.Name))}).")));
        Kernel.Nft(emulation.SwitchNamespace, $$"""
            flush set bridge {{Table}} {{SideA}}
            flush set bridge {{Table}} {{SideB}}
            add element bridge {{Table}} {{SideA}} { {{Addresses(sideA)}} }
            add element bridge {{Table}} {{SideB}} { {{Addresses(sideB)}} }
            """);
    }

    /// <summary>Ends a partition: the switch forwards between every member again.</summary>
    public static void Heal(NetworkEmulation emulation)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        Kernel.Nft(emulation.SwitchNamespace, $"""
            flush set bridge {Table} {SideA}
            flush set bridge {Table} {SideB}
            """);
    }

    /// <summary>
    /// The live view's window: a veth pair from the namespace this runs in (the machine's) into
    /// the clients namespace, with two link-local addresses of its own (a /30 outside the run's
    /// prefix). The clients namespace forwards nothing, so a browser here reaches what listens in
    /// the clients namespace — the live view — and nothing behind it. Deleted with the clients
    /// namespace. Returns (the machine's address, the clients').
    /// </summary>
    public static (string Machine, string Clients) OpenWindow(NetworkEmulation emulation)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        if (emulation.ClientsNamespace == "")
        {
            throw new CliException("NO_CLIENTS", $"The emulated network {emulation.Name} has no clients namespace to open a window into.");
        }
        var octets = emulation.Prefix.Split('.').Select(o => int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
        var first = octets[1] % 63 * 4;
        var machine = string.Create(CultureInfo.InvariantCulture, $"169.254.{octets[2]}.{first + 1}");
        var clients = string.Create(CultureInfo.InvariantCulture, $"169.254.{octets[2]}.{first + 2}");
        var device = emulation.Name + "-w";
        Kernel.TryRun("ip", ["link", "del", device]); // an earlier run's, left behind
        Kernel.Run("ip", "link", "add", device, "type", "veth", "peer", "name", "window", "netns", emulation.ClientsNamespace);
        Kernel.Run("ip", "addr", "add", machine + "/30", "dev", device);
        Kernel.Run("ip", "link", "set", device, "up");
        Kernel.Run("ip", "-n", emulation.ClientsNamespace, "addr", "add", clients + "/30", "dev", "window");
        Kernel.Run("ip", "-n", emulation.ClientsNamespace, "link", "set", "window", "up");
        return (machine, clients);
    }

    /// <summary>Whether this kernel delays links itself (netem); where it does not, the nodes' --link-latency must.</summary>
    public static bool KernelDelays(NetworkEmulation emulation)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        return HasNetem(emulation.SwitchNamespace);
    }

    /// <summary>The address of a member of the emulated network.</summary>
    public static string AddressOf(NetworkEmulation emulation, string member)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        return emulation.Members.FirstOrDefault(m => m.Name == member)?.Address
            ?? throw new CliException("UNKNOWN_MEMBER", $"{member} is not a member of the emulated network {emulation.Name}.");
    }

    private static EmulatedMember AddMember(NetworkEmulation emulation, string member, int host, LinkShape link, bool netem)
    {
        var ns = $"{emulation.Name}-{member}";
        var port = "p-" + member;
        var address = string.Create(CultureInfo.InvariantCulture, $"{emulation.Prefix[..emulation.Prefix.LastIndexOf('.')]}.{host}");
        Kernel.AddNamespace(ns);
        Kernel.Run("ip", "-n", ns, "link", "set", "lo", "up");
        Kernel.Run("ip", "-n", emulation.SwitchNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Kernel.Run("ip", "-n", emulation.SwitchNamespace, "link", "set", port, "master", Bridge, "up");
        // A MAC address fixed by the IP address: a member that takes the address of one removed
        // before it (the next experiment's lab node) is reached at once — the others' ARP caches
        // hold an entry for that address for up to a minute, which must not be a stranger's.
        Kernel.Run("ip", "-n", ns, "link", "set", "eth0", "address", MacOf(address));
        Kernel.Run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        Kernel.Run("ip", "-n", ns, "link", "set", "eth0", "up");
        // The member's sends are delayed (one way, as a node's --link-latency delays its own
        // messages) and limited; the switch's port toward it limits what it receives.
        Shape(ns, "eth0", link, netem ? link.Delay : TimeSpan.Zero);
        Shape(emulation.SwitchNamespace, port, link, TimeSpan.Zero);
        return new EmulatedMember { Name = member, Namespace = ns, Address = address };
    }

    /// <summary>
    /// tbf at the link's rate. Its bucket holds two full frames or 5 ms of the rate, whichever is
    /// more: a bigger bucket would let a block's first kilobytes through at wire speed, and a
    /// block would cross faster than its bandwidth allows.
    /// </summary>
    private static void Shape(string ns, string device, LinkShape link, TimeSpan delay)
    {
        var rate = link.BitsPerSecond.ToString(CultureInfo.InvariantCulture) + "bit";
        var burst = Math.Max(3_100, link.BitsPerSecond / 8 / 200).ToString(CultureInfo.InvariantCulture);
        if (delay > TimeSpan.Zero)
        {
            Kernel.Run("tc", "-n", ns, "qdisc", "add", "dev", device, "root", "handle", "1:", "netem", "delay", $"{delay.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms");
            if (link.BitsPerSecond > 0)
            {
                Kernel.Run("tc", "-n", ns, "qdisc", "add", "dev", device, "parent", "1:1", "handle", "10:", "tbf", "rate", rate, "burst", burst, "latency", "500ms");
            }
        }
        else if (link.BitsPerSecond > 0)
        {
            Kernel.Run("tc", "-n", ns, "qdisc", "add", "dev", device, "root", "tbf", "rate", rate, "burst", burst, "latency", "500ms");
        }
    }

    /// <summary>Whether this kernel has netem (many have; this project's CI machines do not): tried on the switch's loopback.</summary>
    private static bool HasNetem(string ns)
    {
        if (Kernel.TryRun("tc", ["-n", ns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]).Exit != 0)
        {
            return false;
        }
        Kernel.TryRun("tc", ["-n", ns, "qdisc", "del", "dev", "lo", "root"]);
        return true;
    }

    /// <summary>The switch's rules: the two sides of a partition (empty until <see cref="Cut"/>) and the random loss.</summary>
    private static string Rules(LinkShape link)
    {
        var loss = link.Loss > 0 ? $"numgen random mod 100000 < {Math.Round(link.Loss * 100_000).ToString(CultureInfo.InvariantCulture)} counter drop" : "";
        return $$"""
            table bridge {{Table}} {
              set {{SideA}} { type ipv4_addr; }
              set {{SideB}} { type ipv4_addr; }
              chain forward {
                type filter hook forward priority 0; policy accept;
                ip saddr @{{SideA}} ip daddr @{{SideB}} counter drop
                ip saddr @{{SideB}} ip daddr @{{SideA}} counter drop
                {{loss}}
              }
            }
            """;
    }

    private static void Remove(string ns)
    {
        foreach (var pid in Kernel.ProcessesIn(ns))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // gone already
            }
        }
        Kernel.DeleteNamespace(ns);
    }

    /// <summary>02:4c:a:b:c:d for a.b.c.d: locally administered, unicast, one per address.</summary>
    private static string MacOf(string address) =>
        "02:4c:" + string.Join(':', address.Split('.').Select(o => int.Parse(o, CultureInfo.InvariantCulture).ToString("x2", CultureInfo.InvariantCulture)));

    private static int Host(string address) => int.Parse(address[(address.LastIndexOf('.') + 1)..], CultureInfo.InvariantCulture);

    private static void CheckName(string name, string what)
    {
        // A member's switch port is "p-NAME", and interface names have at most 15 characters.
        if (!MemberName().IsMatch(name ?? ""))
        {
            throw new CliException("INVALID_ARGUMENT", $"'{name}' is not a valid {what}: 1 to 12 lower-case letters, digits or dashes.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,11}$")]
    private static partial Regex MemberName();
}
