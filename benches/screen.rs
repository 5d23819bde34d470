//! Screen understanding on a busy 1080×2400 dump: a feed of 80 rows (a
//! clickable card holding an icon, a title, a subtitle, a switch and a
//! button), a bottom navigation bar, the system UI's bars, and a consent
//! dialog over it: about 560 nodes. `cargo bench --bench screen` times
//! `screen::understand` alone and with `uiautomator::parse`. Goal: at
//! most 5 ms, well under the ~2 s a real device takes to dump.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use consentry::android::uiautomator;
use consentry::screen::{self, Wording};

fn node(
    out: &mut String,
    class: &str,
    text: &str,
    id: &str,
    clickable: bool,
    b: (i32, i32, i32, i32),
) {
    let _ = write!(
        out,
        r#"<node index="0" text="{text}" resource-id="{id}" class="{class}" package="com.example.busy" content-desc="" checkable="false" checked="false" clickable="{clickable}" enabled="true" focusable="{clickable}" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[{},{}][{},{}]">"#,
        b.0, b.1, b.2, b.3
    );
}

fn busy_dump() -> String {
    let mut x = String::from(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">",
    );
    x.push_str(r#"<node index="0" text="" resource-id="com.android.systemui:id/navigation_bar_frame" class="android.widget.FrameLayout" package="com.android.systemui" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,2274][1080,2400]" />"#);
    node(
        &mut x,
        "android.widget.FrameLayout",
        "",
        "",
        false,
        (0, 0, 1080, 2400),
    );
    node(
        &mut x,
        "androidx.recyclerview.widget.RecyclerView",
        "",
        "com.example.busy:id/feed",
        false,
        (0, 200, 1080, 2100),
    );
    for i in 0..80 {
        let top = 200 + i * 24;
        node(
            &mut x,
            "android.widget.LinearLayout",
            "",
            "com.example.busy:id/card",
            true,
            (0, top, 1080, top + 24),
        );
        for (class, text, id) in [
            ("android.widget.ImageView", "", "com.example.busy:id/icon"),
            (
                "android.widget.TextView",
                "今日推荐 第 {i} 条：个性化内容",
                "com.example.busy:id/title",
            ),
            (
                "android.widget.TextView",
                "Subtitle with a few words of detail",
                "com.example.busy:id/subtitle",
            ),
            ("android.widget.Switch", "", "com.example.busy:id/toggle"),
        ] {
            node(
                &mut x,
                class,
                &text.replace("{i}", &i.to_string()),
                id,
                false,
                (10, top, 500, top + 20),
            );
            x.push_str("</node>");
        }
        node(
            &mut x,
            "android.widget.Button",
            "关注",
            "com.example.busy:id/follow",
            true,
            (900, top, 1070, top + 20),
        );
        x.push_str("</node></node>");
    }
    x.push_str("</node>");
    for (k, t) in ["首页", "发现", "消息", "我的"].iter().enumerate() {
        let l = i32::try_from(k).unwrap_or(0) * 270;
        node(
            &mut x,
            "android.widget.TextView",
            t,
            "com.example.busy:id/tab",
            true,
            (l, 2100, l + 270, 2274),
        );
        x.push_str("</node>");
    }
    node(
        &mut x,
        "android.widget.LinearLayout",
        "",
        "com.example.busy:id/dialog",
        false,
        (100, 700, 980, 1700),
    );
    for (class, t, id, c) in [
        (
            "android.widget.TextView",
            "用户协议与隐私政策",
            "com.example.busy:id/title",
            false,
        ),
        (
            "android.widget.TextView",
            "请您阅读《隐私政策》，我们将依据其收集、使用您的个人信息。",
            "com.example.busy:id/content",
            false,
        ),
        (
            "android.widget.TextView",
            "不同意",
            "com.example.busy:id/disagree",
            true,
        ),
        (
            "android.widget.TextView",
            "同意并继续",
            "com.example.busy:id/agree",
            true,
        ),
    ] {
        node(&mut x, class, t, id, c, (120, 720, 960, 800));
        x.push_str("</node>");
    }
    x.push_str("</node></node></hierarchy>");
    x
}

fn bench(c: &mut Criterion) {
    let xml = busy_dump();
    let tree = uiautomator::parse(&xml).expect("the busy dump parses");
    let wording = Wording::builtin();
    let u = screen::understand(&tree, None, &wording);
    assert_eq!(
        u.kind,
        screen::Kind::ConsentDialog,
        "the bench reads what it means to"
    );
    eprintln!("screen bench: {} nodes", tree.nodes().len());
    let mut g = c.benchmark_group("screen");
    g.bench_function("understand/busy", |b| {
        b.iter(|| screen::understand(black_box(&tree), None, &wording));
    });
    g.bench_function("parse_and_understand/busy", |b| {
        b.iter(|| {
            let t = uiautomator::parse(black_box(&xml)).expect("parses");
            screen::understand(&t, None, &wording)
        });
    });
    g.bench_function("wording/builtin", |b| b.iter(Wording::builtin));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
