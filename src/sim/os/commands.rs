//! Running a shell line: the command list from [`shell::parse`], `&&`/`||`
//! and `;`, redirections, the built-ins (`echo`, `exit`, `export`...), and
//! the simulated Android commands (`pm`, `am`, `dumpsys`, `logcat`,
//! `input`, `uiautomator`, `screencap`, `settings`, `getprop`, `wm`,
//! `monkey`, `cmd package install -S N` reading stdin), each printing what
//! the real one prints.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::android::{Launch, Launcher, PERMCTRL};
use super::clock::parse_logcat_time;
use super::intent::{FLAG_ACTIVITY_NEW_TASK, Intent};
use super::logcat::{self, Buffer, Format};
use super::model::AppModel;
use super::shell::{self, Target};
use super::{Latency, Release, SimDevice, dumps, perms};
use crate::sim::backend::Output;
use crate::sim::render;

/// Where one output stream goes.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    Stdout,
    Stderr,
    Null,
    File(String, bool),
}

/// A command's stdout/stderr after redirections.
struct Sink<'a> {
    tx: &'a mpsc::Sender<Output>,
    out: Route,
    err: Route,
    files: BTreeMap<String, (Vec<u8>, bool)>,
}

impl Sink<'_> {
    async fn send(&mut self, route: Route, data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        match route {
            Route::Stdout => {
                let _ = self.tx.send(Output::Stdout(data)).await;
            }
            Route::Stderr => {
                let _ = self.tx.send(Output::Stderr(data)).await;
            }
            Route::Null => {}
            Route::File(p, append) => self
                .files
                .entry(p)
                .or_insert_with(|| (Vec::new(), append))
                .0
                .extend(data),
        }
    }
    async fn out(&mut self, s: impl Into<Vec<u8>>) {
        self.send(self.out.clone(), s.into()).await;
    }
    async fn err(&mut self, s: impl Into<Vec<u8>>) {
        self.send(self.err.clone(), s.into()).await;
    }
    fn closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Runs a whole line and sends `Exit`.
pub async fn run_line(
    dev: Arc<SimDevice>,
    line: &str,
    tx: mpsc::Sender<Output>,
    mut stdin: mpsc::Receiver<Vec<u8>>,
) {
    let code = match shell::parse(line) {
        Err(e) => {
            let _ = tx
                .send(Output::Stderr(
                    format!("/system/bin/sh: {e}\n").into_bytes(),
                ))
                .await;
            1
        }
        Ok(cmds) => {
            let mut code = 0;
            let mut skip = false;
            for c in cmds {
                if !skip {
                    let env = dev.env.lock().map(|e| e.clone()).unwrap_or_default();
                    let mut env = env;
                    env.insert("?".into(), code.to_string());
                    let argv: Vec<String> =
                        c.words.iter().map(|w| shell::expand(w, &env)).collect();
                    let mut sink = Sink {
                        tx: &tx,
                        out: Route::Stdout,
                        err: Route::Stderr,
                        files: BTreeMap::new(),
                    };
                    for r in &c.redirects {
                        let route = match &r.target {
                            Target::Fd(1) => sink.out.clone(),
                            Target::Fd(2) => sink.err.clone(),
                            Target::Fd(_) => Route::Null,
                            Target::File(w) => {
                                let p = shell::expand(w, &env);
                                if p == "/dev/null" {
                                    Route::Null
                                } else if p == "/dev/stderr" {
                                    Route::Stderr
                                } else if p == "/dev/stdout" || p == "/dev/tty" {
                                    Route::Stdout
                                } else {
                                    Route::File(p, r.append)
                                }
                            }
                        };
                        if r.fd == 2 {
                            sink.err = route;
                        } else {
                            sink.out = route;
                        }
                    }
                    match run(&dev, &argv, &mut sink, &mut stdin).await {
                        Flow::Code(c) => code = c,
                        Flow::Exit(c) => {
                            code = c;
                            flush(&dev, &mut sink).await;
                            break;
                        }
                    }
                    flush(&dev, &mut sink).await;
                    if tx.is_closed() {
                        return;
                    }
                }
                skip = match c.link {
                    shell::Link::Seq => false,
                    shell::Link::And => code != 0,
                    shell::Link::Or => code == 0,
                };
            }
            code
        }
    };
    let _ = tx.send(Output::Exit(code)).await;
}

async fn flush(dev: &SimDevice, sink: &mut Sink<'_>) {
    for (path, (data, append)) in std::mem::take(&mut sink.files) {
        let mut all = if append {
            dev.files().read(&path).unwrap_or_default()
        } else {
            Vec::new()
        };
        all.extend(data);
        let res = dev.files().write(&path, all, 0o644, 0);
        if let Err(e) = res {
            sink.err(format!(
                "/system/bin/sh: can't create {path}: {}\n",
                e.trim_start_matches("couldn't create file: ")
            ))
            .await;
        }
    }
}

enum Flow {
    Code(i32),
    Exit(i32),
}

fn ok(code: i32) -> Flow {
    Flow::Code(code)
}

async fn run(
    dev: &Arc<SimDevice>,
    argv: &[String],
    sink: &mut Sink<'_>,
    stdin: &mut mpsc::Receiver<Vec<u8>>,
) -> Flow {
    let Some(cmd) = argv.first() else {
        return ok(0);
    };
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    match cmd.as_str() {
        "true" | ":" => ok(0),
        // `exec CMD`: adb's logcat command sends `export ANDROID_LOG_TAGS=...; exec logcat ...`.
        "exec" => {
            if argv.len() < 2 {
                return ok(0);
            }
            let rest = argv[1..].to_vec();
            match Box::pin(run(dev, &rest, sink, stdin)).await {
                Flow::Code(c) | Flow::Exit(c) => Flow::Exit(c),
            }
        }
        "false" => ok(1),
        "echo" => {
            let (nl, rest) = if args.first() == Some(&"-n") {
                (false, &args[1..])
            } else {
                (true, &args[..])
            };
            let mut s = rest.join(" ");
            if nl {
                s.push('\n');
            }
            sink.out(s).await;
            ok(0)
        }
        "exit" => Flow::Exit(
            args.first()
                .and_then(|a| a.parse::<i32>().ok())
                .unwrap_or(0)
                & 0xff,
        ),
        "export" => {
            for a in &args {
                if let Some((k, v)) = a.split_once('=') {
                    if let Ok(mut e) = dev.env.lock() {
                        e.insert(k.to_string(), v.to_string());
                    }
                }
            }
            ok(0)
        }
        "pidof" => {
            let pids: Vec<String> = dev.with_android(|a| {
                args.iter()
                    .flat_map(|n| a.pids_named(n))
                    .map(|p| p.to_string())
                    .collect()
            });
            if pids.is_empty() {
                return ok(1);
            }
            sink.out(format!("{}\n", pids.join(" "))).await;
            ok(0)
        }
        "sleep" => {
            let secs = args
                .first()
                .and_then(|a| a.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(0.0);
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(secs.min(86_400.0))) => {}
                () = sink.tx.closed() => {}
            }
            ok(0)
        }
        "id" => {
            sink.out("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),3011(uhid) context=u:r:shell:s0\n").await;
            ok(0)
        }
        "whoami" => {
            sink.out("shell\n").await;
            ok(0)
        }
        "getprop" => getprop(dev, &args, sink).await,
        "wm" => {
            if args.first() == Some(&"size") {
                sink.out(format!(
                    "Physical size: {}x{}\n",
                    dev.config.width, dev.config.height
                ))
                .await;
            } else if args.first() == Some(&"density") {
                sink.out(format!("Physical density: {}\n", dev.config.density))
                    .await;
            } else {
                sink.err("Error: unknown command\n").await;
                return ok(255);
            }
            ok(0)
        }
        // While booting, `pm` (a script running `cmd package`) and `cmd
        // package` find no package service: AOSP `cmd` prints this and
        // exits 20 when `checkService` returns nothing.
        "pm" if !dev.boot_completed() => no_service(sink, "package").await,
        "cmd" if args.first() == Some(&"package") && !dev.boot_completed() => {
            no_service(sink, "package").await
        }
        "pm" => pm(dev, &args, sink).await,
        "cmd" => match args.first() {
            Some(&"package") => {
                if args.get(1) == Some(&"install") {
                    install_stdin(dev, &args[2..], sink, stdin).await
                } else {
                    pm(dev, &args[1..], sink).await
                }
            }
            Some(&"appops") => appops(dev, &args[1..], sink).await,
            Some(&"activity") => am(dev, &args[1..], sink).await,
            Some(x) => no_service(sink, x).await,
            None => ok(0),
        },
        "am" => am(dev, &args, sink).await,
        "monkey" => monkey(dev, &args, sink).await,
        "dumpsys" => dumpsys(dev, &args, sink).await,
        "input" => input(dev, &args, sink).await,
        "uiautomator" => uiautomator(dev, &args, sink).await,
        "screencap" => screencap(dev, &args, sink).await,
        "logcat" => logcat_cmd(dev, &args, sink).await,
        "log" => log_cmd(dev, &args, sink).await,
        "settings" => settings(dev, &args, sink).await,
        "rm" => {
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                dev.files().remove(a);
            }
            ok(0)
        }
        "cat" => {
            let mut code = 0;
            for a in &args {
                let data = dev.files().read(a);
                if let Some(d) = data {
                    sink.out(d).await;
                } else {
                    sink.err(format!("cat: {a}: No such file or directory\n"))
                        .await;
                    code = 1;
                }
            }
            ok(code)
        }
        other => {
            sink.err(format!(
                "/system/bin/sh: {other}: inaccessible or not found\n"
            ))
            .await;
            ok(127)
        }
    }
}

/// AOSP `cmd` for a service that is not registered (or not yet, during
/// boot): `cmd: Can't find service: NAME` on stderr, exit status 20.
async fn no_service(sink: &mut Sink<'_>, name: &str) -> Flow {
    sink.err(format!("cmd: Can't find service: {name}\n")).await;
    ok(20)
}

/// `getprop`: the configured SDK, release and product, and the release
/// profile's build id, patch level and ABI. `sys.boot_completed` and
/// `dev.bootcomplete` are set only once the boot has completed, as init
/// sets them then.
fn props(dev: &SimDevice) -> Vec<(String, String)> {
    let c = &dev.config;
    let (build_id, build_number) = c.android.build();
    let mut v: Vec<(String, String)> = vec![
        ("ro.build.version.sdk", c.sdk.to_string()),
        ("ro.build.version.release", c.release.clone()),
        (
            "ro.build.version.security_patch",
            c.android.security_patch().into(),
        ),
        ("ro.build.type", "userdebug".into()),
        ("ro.build.tags", "dev-keys".into()),
        ("ro.build.id", build_id.into()),
        (
            "ro.build.fingerprint",
            format!(
                "google/{}/{}:{}/{build_id}/{build_number}:userdebug/dev-keys",
                c.product_name, c.device_name, c.release
            ),
        ),
        ("ro.product.name", c.product_name.clone()),
        ("ro.product.model", c.model.clone()),
        ("ro.product.device", c.device_name.clone()),
        ("ro.product.brand", "google".into()),
        ("ro.product.manufacturer", "Google".into()),
        ("ro.product.cpu.abi", c.android.cpu_abi().into()),
        ("ro.product.locale", "en-US".into()),
        ("ro.serialno", c.serial.clone()),
        ("ro.boot.serialno", c.serial.clone()),
        ("ro.kernel.qemu", "1".into()),
        ("ro.boot.qemu", "1".into()),
        ("ro.hardware", "ranchu".into()),
        ("ro.sf.lcd_density", c.density.to_string()),
        ("ro.debuggable", "1".into()),
        ("ro.secure", "1".into()),
        ("sys.boot_completed", "1".into()),
        ("dev.bootcomplete", "1".into()),
        ("init.svc.adbd", "running".into()),
        ("persist.sys.timezone", "Asia/Shanghai".into()),
        ("persist.sys.locale", "zh-CN".into()),
        ("gsm.sim.state", "READY".into()),
    ]
    .into_iter()
    .filter(|(k, _)| {
        dev.boot_completed() || !matches!(*k, "sys.boot_completed" | "dev.bootcomplete")
    })
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    v.sort();
    v
}

async fn getprop(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let p = props(dev);
    if let Some(key) = args.first() {
        let v = p
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| args.get(1).map(|d| (*d).to_string()))
            .unwrap_or_default();
        sink.out(format!("{v}\n")).await;
    } else {
        let s: String = p.iter().map(|(k, v)| format!("[{k}]: [{v}]\n")).collect();
        sink.out(s).await;
    }
    ok(0)
}

async fn exception(sink: &mut Sink<'_>, verb: &str, msg: &str) -> Flow {
    sink.err(format!(
        "Exception occurred while executing '{verb}':\n{msg}\n"
    ))
    .await;
    ok(255)
}

fn install_model(dev: &SimDevice, bytes: &[u8], grant: bool) -> Result<(), String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err("Failure [INSTALL_FAILED_INVALID_APK: the simulator only installs fixture-app models, not real APKs]".into());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse APK]".to_string())?;
    let m = AppModel::from_yaml(text, Path::new("base.apk"))
        .map_err(|e| format!("Failure [INSTALL_PARSE_FAILED_MANIFEST_MALFORMED: {e}]"))?;
    dev.with_android(|a| a.install(m, grant));
    Ok(())
}

/// `cmd package install [-r -g -t -d] -S SIZE`: the APK comes on stdin.
async fn install_stdin(
    dev: &SimDevice,
    args: &[&str],
    sink: &mut Sink<'_>,
    stdin: &mut mpsc::Receiver<Vec<u8>>,
) -> Flow {
    let grant = args.contains(&"-g");
    let size = args
        .iter()
        .position(|a| *a == "-S")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<usize>().ok());
    let bytes = if let Some(size) = size {
        let mut buf = Vec::with_capacity(size.min(64 << 20));
        while buf.len() < size {
            match stdin.recv().await {
                Some(chunk) => buf.extend(chunk),
                None => break,
            }
        }
        if buf.len() < size {
            sink.err(format!(
                "Failure [INSTALL_FAILED_INVALID_APK: short read {} of {size}]\n",
                buf.len()
            ))
            .await;
            return ok(1);
        }
        buf.truncate(size);
        buf
    } else if let Some(path) = args.iter().rev().find(|a| !a.starts_with('-')) {
        let data = dev.files().read(path);
        if let Some(b) = data {
            b
        } else {
            sink.err(format!("Error: Can't open file: {path}\nException occurred while executing 'install':\njava.lang.IllegalArgumentException: Error: Can't open file: {path}\n")).await;
            return ok(255);
        }
    } else {
        sink.err("Error: must either specify a package size or an APK file\n")
            .await;
        return ok(1);
    };
    match install_model(dev, &bytes, grant) {
        Ok(()) => {
            sink.out("Success\n").await;
            ok(0)
        }
        Err(e) => {
            sink.out(format!("{e}\n")).await;
            ok(1)
        }
    }
}

async fn pm(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let verb = args.first().copied().unwrap_or("");
    let rest = args.get(1..).unwrap_or(&[]);
    let pos: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    match verb {
        "resolve-activity" => {
            // `--brief [-c CATEGORY] PKG`: the launcher activity, as
            // ResolveInfo prints it.
            let pkg = pos.iter().rev().find(|a| !a.contains("category")).copied();
            let comp = dev.with_android(|a| {
                pkg.and_then(|p| a.packages.get(p))
                    .and_then(|p| p.model.as_ref())
                    .map(|m| m.short_component())
            });
            match comp {
                Some(c) => {
                    sink.out(format!(
                        "priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false\n{c}\n"
                    ))
                    .await;
                }
                None => sink.out("No activity found\n").await,
            }
            ok(0)
        }
        "list" if rest.first() == Some(&"packages") => {
            let flags = &rest[1..];
            let filter = flags.iter().copied().find(|a| !a.starts_with('-'));
            let s = dumps::list_packages(
                &dev.android(),
                flags.contains(&"-3"),
                flags.contains(&"-f"),
                filter,
            );
            sink.out(s).await;
            ok(0)
        }
        "path" => {
            let line = {
                let a = dev.android();
                pos.first().and_then(|p| a.packages.get(*p)).map(|p| {
                    if p.system() {
                        format!("package:{}\n", p.code_path)
                    } else {
                        format!("package:{}/base.apk\n", p.code_path)
                    }
                })
            };
            match line {
                Some(s) => {
                    sink.out(s).await;
                    ok(0)
                }
                None => ok(1),
            }
        }
        "install" => install_stdin(dev, rest, sink, &mut mpsc::channel(1).1).await,
        "uninstall" => {
            let done = pos
                .first()
                .is_some_and(|p| dev.with_android(|a| a.uninstall(p)));
            if done {
                sink.out("Success\n").await;
                ok(0)
            } else {
                sink.out("Failure [DELETE_FAILED_INTERNAL_ERROR]\n").await;
                ok(1)
            }
        }
        "clear" => {
            let done = pos
                .first()
                .is_some_and(|p| dev.with_android(|a| a.clear(p)));
            if done {
                sink.out("Success\n").await;
                ok(0)
            } else {
                sink.err("Failed\n").await;
                ok(1)
            }
        }
        "grant" | "revoke" => {
            let (Some(pkg), Some(perm)) = (pos.first(), pos.get(1)) else {
                return exception(
                    sink,
                    verb,
                    "java.lang.IllegalArgumentException: no package or permission specified",
                )
                .await;
            };
            match dev.with_android(|a| a.set_granted(pkg, perm, verb == "grant")) {
                Ok(()) => ok(0),
                Err(e) => exception(sink, verb, &e).await,
            }
        }
        "set-permission-flags" | "clear-permission-flags" => {
            let (Some(pkg), Some(perm)) = (pos.first(), pos.get(1)) else {
                return exception(
                    sink,
                    verb,
                    "java.lang.IllegalArgumentException: no package or permission specified",
                )
                .await;
            };
            let mut mask = 0;
            for f in &pos[2..] {
                if let Some(b) = perms::flag_from_cli(f) {
                    mask |= b;
                } else {
                    sink.err(format!("Error: unknown permission flag '{f}'\n"))
                        .await;
                    return ok(1);
                }
            }
            match dev
                .with_android(|a| a.change_flags(pkg, perm, mask, verb == "set-permission-flags"))
            {
                Ok(()) => ok(0),
                Err(e) => exception(sink, verb, &e).await,
            }
        }
        _ => {
            sink.err(format!("Unknown command: {verb}\n")).await;
            ok(255)
        }
    }
}

/// `Intent.ACTION_VIEW`.
const VIEW: &str = "android.intent.action.VIEW";

async fn activity_delay(dev: &SimDevice) {
    if dev.config.latency == Latency::Realistic {
        let ms = 300 + dev.next_random() % 501;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn am(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    match args.first().copied() {
        Some("start" | "start-activity") => start_activity(dev, &args[1..], sink).await,
        Some("force-stop") => {
            if let Some(p) = args.get(1) {
                dev.with_android(|a| a.force_stop(p));
            }
            ok(0)
        }
        Some("kill") => {
            if let Some(p) = args.get(1) {
                dev.with_android(|a| a.kill_background(p));
            }
            ok(0)
        }
        Some(x) => {
            sink.err(format!("Error: Unknown command: {x}\n")).await;
            ok(255)
        }
        None => ok(0),
    }
}

/// `am start`, as `ActivityManagerShellCommand.runStartActivity` runs
/// it: `Starting: Intent { … }`, then the start; its error (or, with
/// `-W`, its result) on stdout with `-W`, else on stderr.
async fn start_activity(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let intent = Intent::parse(args);
    sink.out(format!("Starting: {}\n", intent.display(intent.flags)))
        .await;
    if let Some(comp) = intent.component.as_deref() {
        return start_component(dev, comp, intent.wait, sink).await;
    }
    let flags = intent.flags | FLAG_ACTIVITY_NEW_TASK;
    let target = match (intent.action.as_deref(), intent.data.as_deref()) {
        (Some(VIEW), Some(url)) => {
            dev.with_android(|a| a.resolve_link(url, intent.package.as_deref()))
        }
        _ => None,
    };
    let Some((pkg, screen)) = target else {
        // START_INTENT_NOT_RESOLVED: printed, and `runStartActivity`
        // goes on to `return 0` (AOSP up to 14; later trees return 1).
        let msg = format!(
            "Error: Activity not started, unable to resolve {}\n",
            intent.display(flags)
        );
        if intent.wait {
            sink.out(msg).await;
        } else {
            sink.err(msg).await;
        }
        return ok(0);
    };
    let started = std::time::Instant::now();
    activity_delay(dev).await;
    let line = intent.short_string(flags, None);
    match dev.with_android(|a| a.open_link(&pkg, &screen, &line, Launcher::Shell)) {
        Ok(l) => {
            if intent.wait {
                sink.out(wait_result(dev.config.android, &l, started)).await;
            }
            ok(0)
        }
        Err(e) => {
            sink.err(format!("Error type 3\nError: {e}\n")).await;
            ok(1)
        }
    }
}

/// `am start -n COMPONENT`: only the model's launcher activity exists.
async fn start_component(dev: &SimDevice, comp: &str, wait: bool, sink: &mut Sink<'_>) -> Flow {
    let (pkg, activity) = comp.split_once('/').unwrap_or((comp, ""));
    let class = match activity.strip_prefix('.') {
        Some(rest) => format!("{pkg}.{rest}"),
        None => activity.to_string(),
    };
    let known = dev.with_android(|a| {
        a.packages
            .get(pkg)
            .and_then(|p| p.model.as_ref())
            .map(|m| m.activity_class())
    });
    if known.as_ref().is_some_and(|k| *k != class) {
        sink.err(format!(
            "Error type 3\nError: Activity class {{{pkg}/{class}}} does not exist.\n"
        ))
        .await;
        return ok(1);
    }
    let started = std::time::Instant::now();
    activity_delay(dev).await;
    match dev.with_android(|a| a.launch(pkg, Launcher::Shell)) {
        Ok(l) => {
            if wait {
                sink.out(wait_result(dev.config.android, &l, started)).await;
            }
            ok(0)
        }
        Err(e) => {
            sink.err(format!("Error type 3\nError: {e}\n")).await;
            ok(1)
        }
    }
}

/// The `-W` block after a launch (`WaitResult`), as the release prints it.
fn wait_result(release: Release, l: &Launch, started: std::time::Instant) -> String {
    let t = started
        .elapsed()
        .as_millis()
        .max(if l.cold { 412 } else { 96 });
    let state = if l.cold { "COLD" } else { "WARM" };
    let c = &l.component;
    let wait = t + 4;
    if release.wait_has_launch_state() {
        format!(
            "Status: ok\nLaunchState: {state}\nActivity: {c}\nTotalTime: {t}\nWaitTime: {wait}\nComplete\n"
        )
    } else {
        format!(
            "Status: ok\nActivity: {c}\nThisTime: {t}\nTotalTime: {t}\nWaitTime: {wait}\nComplete\n"
        )
    }
}

async fn monkey(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let mut s = String::new();
    for a in args {
        s.push_str(&format!("  bash arg: {a}\n"));
    }
    s.push_str(&format!("args: [{}]\n", args.join(", ")));
    for a in args {
        s.push_str(&format!(" arg: \"{a}\"\n"));
    }
    let pkg = args
        .iter()
        .position(|a| *a == "-p")
        .and_then(|i| args.get(i + 1))
        .copied();
    if let Some(p) = pkg {
        s.push_str(&format!("data=\"{p}\"\n"));
    }
    if let Some(c) = args
        .iter()
        .position(|a| *a == "-c")
        .and_then(|i| args.get(i + 1))
    {
        s.push_str(&format!("data=\"{c}\"\n"));
    }
    sink.out(s).await;
    let Some(pkg) = pkg else {
        sink.err("** No activities found to run, monkey aborted.\n")
            .await;
        return ok(252);
    };
    activity_delay(dev).await;
    if dev.with_android(|a| a.launch(pkg, Launcher::Home)).is_err() {
        sink.err("** No activities found to run, monkey aborted.\n")
            .await;
        return ok(252);
    }
    sink.out("Events injected: 1\n## Network stats: elapsed time=31ms (0ms mobile, 0ms wifi, 31ms not connected)\n").await;
    ok(0)
}

async fn appops(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    match args.first().copied() {
        Some("get") => {
            let s = {
                let a = dev.android();
                args.get(1)
                    .and_then(|p| a.packages.get(*p))
                    .map(|p| dumps::appops_get(&a, p))
            };
            if let Some(s) = s {
                sink.out(s).await;
                ok(0)
            } else {
                sink.err("Error: Unknown package\n").await;
                ok(255)
            }
        }
        Some("set") => {
            let pos: Vec<&str> = args[1..]
                .iter()
                .copied()
                .filter(|a| !a.starts_with("--"))
                .collect();
            let (Some(pkg), Some(op), Some(mode)) = (pos.first(), pos.get(1), pos.get(2)) else {
                sink.err("Error: usage: cmd appops set PACKAGE OP MODE\n")
                    .await;
                return ok(255);
            };
            let done = dev.with_android(|a| {
                a.packages.get_mut(*pkg).map(|p| {
                    p.op_modes.insert(
                        op.trim_start_matches("android:").to_uppercase(),
                        (*mode).to_string(),
                    )
                })
            });
            if done.is_none() {
                sink.err(format!("Error: Unknown package: {pkg}\n")).await;
                return ok(255);
            }
            ok(0)
        }
        _ => {
            sink.err("Error: unknown appops command\n").await;
            ok(255)
        }
    }
}

async fn dumpsys(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let s = {
        let a = dev.android();
        match args {
            ["package", pkg, ..] => match a.packages.get(*pkg) {
                Some(p) => dumps::package(&a, p),
                None => format!("Unable to find package: {pkg}\n"),
            },
            ["appops", rest @ ..] => {
                let only = rest
                    .iter()
                    .position(|x| *x == "--package")
                    .and_then(|i| rest.get(i + 1))
                    .copied();
                dumps::appops(&a, only)
            }
            ["activity", "activities" | "a", ..] => dumps::activities(&a),
            ["activity", "exit-info", rest @ ..] => dumps::exit_info(&a, rest.first().copied()),
            ["window", ..] => dumps::window(&a),
            ["input_method", ..] => dumps::input_method(&a),
            [] => "Currently running services:\n  activity\n  appops\n  input_method\n  package\n  window\n".into(),
            [other, ..] => format!("Can't find service: {other}\n"),
        }
    };
    sink.out(s).await;
    ok(0)
}

fn keycode(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    Some(match name.trim_start_matches("KEYCODE_") {
        "HOME" => 3,
        "BACK" => 4,
        "ESCAPE" => 111,
        "ENTER" => 66,
        "DEL" => 67,
        "FORWARD_DEL" => 112,
        "MOVE_END" => 123,
        "MENU" => 82,
        "APP_SWITCH" => 187,
        "TAB" => 61,
        "SPACE" => 62,
        "POWER" => 26,
        "WAKEUP" => 224,
        _ => return None,
    })
}

async fn input(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let args: Vec<&str> = if args
        .first()
        .is_some_and(|a| ["touchscreen", "keyboard", "mouse"].contains(a))
    {
        args[1..].to_vec()
    } else {
        args.to_vec()
    };
    let num = |i: usize| args.get(i).and_then(|s| s.parse::<f64>().ok());
    match args.first().copied() {
        Some("tap") => {
            let (Some(x), Some(y)) = (num(1), num(2)) else {
                sink.err("Error: Invalid arguments for command: tap\n")
                    .await;
                return ok(1);
            };
            #[allow(clippy::cast_possible_truncation)]
            let (x, y) = (x as i32, y as i32);
            dev.with_android(|a| a.tap(x, y));
            ok(0)
        }
        Some("swipe") => {
            if num(4).is_none() && num(3).is_none() {
                sink.err("Error: Invalid arguments for command: swipe\n")
                    .await;
                return ok(1);
            }
            dev.with_android(|a| a.anim_until = a.clock.now() + a.anim_ms);
            ok(0)
        }
        Some("text") => {
            let t = crate::android::quote::decode_input_text(&args[1..].join(" "));
            dev.with_android(|a| a.text(&t));
            ok(0)
        }
        Some("keyevent") => {
            for k in &args[1..] {
                if let Some(c) = keycode(k) {
                    dev.with_android(|a| a.key(c));
                } else {
                    sink.err(format!("Error: Unknown keycode: {k}\n")).await;
                    return ok(1);
                }
            }
            ok(0)
        }
        _ => {
            sink.err("Error: Unknown command\n").await;
            ok(1)
        }
    }
}

async fn uiautomator(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    if args.first() != Some(&"dump") {
        sink.err("Usage: uiautomator <subcommand> [options]\n")
            .await;
        return ok(1);
    }
    if dev.config.latency == Latency::Realistic {
        let ms = 1800 + dev.next_random() % 400;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if dev.dump_fails() {
        sink.err("ERROR: could not get idle state.\n").await;
        return ok(0);
    }
    let file = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .copied()
        .unwrap_or("/sdcard/window_dump.xml");
    let screen = dev.android().screen(false);
    let xml = render::uiautomator_xml(&screen);
    if file == "/dev/tty" || file == "/dev/stdout" {
        sink.out(xml).await;
    } else if let Err(e) = { dev.files().write(file, xml.into_bytes(), 0o660, 0) } {
        sink.err(format!("ERROR: {e}\n")).await;
        return ok(1);
    }
    sink.out(format!("UI hierchary dumped to: {file}\n")).await;
    ok(0)
}

async fn screencap(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    if dev.config.latency == Latency::Realistic {
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let screen = dev.android().screen(true);
    match render::png(&screen) {
        Ok(png) => {
            if let Some(f) = args.iter().find(|a| !a.starts_with('-')) {
                let res = dev.files().write(f, png, 0o660, 0);
                if let Err(e) = res {
                    sink.err(format!("Error opening file: {f} ({e})\n")).await;
                    return ok(1);
                }
            } else {
                sink.out(png).await;
            }
            ok(0)
        }
        Err(e) => {
            sink.err(format!("screencap: {e}\n")).await;
            ok(1)
        }
    }
}

async fn logcat_cmd(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let mut buffers: Vec<Buffer> = Vec::new();
    let mut dump = false;
    let mut clear = false;
    let mut fmt = Format::default();
    let mut tail: Option<usize> = None;
    let mut since: Option<i64> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        let val = || args.get(i + 1).copied();
        match a {
            "-d" => dump = true,
            "-c" => clear = true,
            "-v" => {
                for f in val().unwrap_or("").split(',') {
                    match f {
                        "brief" => fmt.brief = true,
                        "uid" => fmt.uid = true,
                        "threadtime" | "time" | "epoch" | "year" | "long" | "color"
                        | "printable" | "usec" => {}
                        other => {
                            sink.err(format!("logcat: Unknown format '{other}'\n"))
                                .await;
                            return ok(1);
                        }
                    }
                }
                i += 1;
            }
            "-b" => {
                for b in val().unwrap_or("").split(',') {
                    if let Some(bs) = Buffer::parse(b) {
                        buffers.extend(bs);
                    } else {
                        sink.err(format!("logcat: unknown buffer {b}\n")).await;
                        return ok(1);
                    }
                }
                i += 1;
            }
            "-t" | "-T" => {
                let v = val().unwrap_or("");
                if a == "-t" {
                    dump = true;
                }
                if let Ok(n) = v.parse::<usize>() {
                    tail = Some(n);
                } else if let Some(t) = parse_logcat_time(v, dev.clock.now()) {
                    since = Some(t);
                } else {
                    sink.err(format!("logcat: bad -{} argument '{v}'\n", &a[1..]))
                        .await;
                    return ok(1);
                }
                i += 1;
            }
            "-s" => {}
            x if x.starts_with("-v") || x.starts_with("-b") => {}
            _ => {}
        }
        i += 1;
    }
    if buffers.is_empty() {
        buffers = vec![Buffer::Main, Buffer::System, Buffer::Crash];
    }
    buffers.sort();
    buffers.dedup();
    if clear {
        dev.logs.clear(&buffers);
        return ok(0);
    }
    let mut entries = dev.logs.since(0, &buffers);
    if let Some(t) = since {
        entries.retain(|e| e.time >= t);
    }
    if let Some(n) = tail {
        let skip = entries.len().saturating_sub(n);
        entries.drain(..skip);
    }
    let mut last = dev.logs.last_seq().max(entries.last().map_or(0, |e| e.seq));
    let mut seen_buffers: Vec<Buffer> = Vec::new();
    let emit = |es: &[logcat::Entry], seen: &mut Vec<Buffer>| {
        let mut s = String::new();
        for e in es {
            if !seen.contains(&e.buffer) {
                seen.push(e.buffer);
                s.push_str(&logcat::header(e.buffer));
            }
            s.push_str(&logcat::format_entry(e, fmt));
        }
        s
    };
    let first = emit(&entries, &mut seen_buffers);
    sink.out(first).await;
    if dump {
        return ok(0);
    }
    loop {
        let notified = dev.logs.notify.notified();
        let fresh = dev.logs.since(last, &buffers);
        if let Some(e) = fresh.last() {
            last = e.seq;
            let s = emit(&fresh, &mut seen_buffers);
            sink.out(s).await;
            continue;
        }
        if sink.closed() {
            return ok(0);
        }
        tokio::select! {
            () = notified => {}
            () = sink.tx.closed() => return ok(0),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

async fn log_cmd(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    let mut tag = "log".to_string();
    let mut level = 'I';
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-t" => {
                tag = args
                    .get(i + 1)
                    .map_or_else(String::new, |s| (*s).to_string());
                i += 2;
            }
            "-p" => {
                level = args
                    .get(i + 1)
                    .and_then(|s| s.chars().next())
                    .map_or('I', |c| c.to_ascii_uppercase());
                i += 2;
            }
            _ => break,
        }
    }
    let msg = args[i.min(args.len())..].join(" ");
    if msg.is_empty() {
        sink.err("usage: log [-p PRIORITY] [-t TAG] MESSAGE\n")
            .await;
        return ok(1);
    }
    let pid = 7000 + u32::try_from(dev.next_random() % 2000).unwrap_or(0);
    dev.android()
        .log(Buffer::Main, (2000, pid, pid), level, &tag, &msg);
    ok(0)
}

async fn settings(dev: &SimDevice, args: &[&str], sink: &mut Sink<'_>) -> Flow {
    match args {
        ["get", ns, key, ..] => {
            let v = dev
                .android()
                .settings
                .get(&format!("{ns}:{key}"))
                .cloned()
                .unwrap_or_else(|| "null".into());
            sink.out(format!("{v}\n")).await;
            ok(0)
        }
        ["put", ns, key, value, ..] => {
            dev.android()
                .settings
                .insert(format!("{ns}:{key}"), (*value).to_string());
            ok(0)
        }
        ["delete", ns, key, ..] => {
            dev.android().settings.remove(&format!("{ns}:{key}"));
            sink.out("Deleted 1 rows\n").await;
            ok(0)
        }
        _ => {
            sink.err("usage:  settings [--user <USER_ID> | current] get namespace key\n")
                .await;
            ok(255)
        }
    }
}

/// For tests: the permission controller package name.
pub const PERMISSION_CONTROLLER: &str = PERMCTRL;
