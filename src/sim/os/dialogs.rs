//! The system dialogs as widget trees, per release: the runtime-permission
//! dialog (Android 9's packageinstaller layout with its "Don't ask again"
//! checkbox; the permission controller layout of 11 and 14) and the crash
//! dialog; and which dialog button a tapped resource id is. Pure: a
//! prompt in, a [`Window`] out; the model decides what a button does.
//!
//! The trees follow the real dumps in `shared/real-captures/uiautomator`
//! and AOSP's `grant_permissions.xml` of each release (see
//! `docs/simulator.md`).

use super::release::Release;
use crate::sim::ui::{Node, Rect, Rgba, Window};

/// What the permission dialog shows for the group on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionPrompt<'a> {
    /// `Allow Notes to take pictures and record video?`.
    pub message: &'a str,
    /// The group may be granted for the foreground only (location,
    /// camera, microphone): "While using the app" / "Only this time".
    pub foreground_only: bool,
    /// The group was denied before (`USER_SET`): Android 9 shows the
    /// "Don't ask again" checkbox, 11 and 14 the deny-and-don't-ask-again
    /// button in place of the plain deny.
    pub denied_before: bool,
    /// Android 9: the checkbox is ticked (the allow button is disabled).
    pub dont_ask_checked: bool,
}

/// What a tap on a permission-dialog node means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogButton {
    /// Allow, or "While using the app".
    Allow,
    /// "Only this time" (11+).
    AllowOneTime,
    /// The plain deny (on 9 the checkbox decides whether it fixes).
    Deny,
    /// Deny and don't ask again (11+ button).
    DenyForever,
    /// Android 9's "Don't ask again" checkbox.
    DontAskCheckbox,
}

/// The dialog button a resource id names on this release, if any.
pub fn dialog_button(release: Release, resource_id: &str) -> Option<DialogButton> {
    let short = resource_id.strip_prefix(release.permission_id_prefix())?;
    match release {
        Release::Android9 => match short {
            "permission_allow_button" => Some(DialogButton::Allow),
            "permission_deny_button" => Some(DialogButton::Deny),
            "do_not_ask_checkbox" => Some(DialogButton::DontAskCheckbox),
            _ => None,
        },
        Release::Android11 | Release::Android14 => match short {
            "permission_allow_button" | "permission_allow_foreground_only_button" => {
                Some(DialogButton::Allow)
            }
            "permission_allow_one_time_button" => Some(DialogButton::AllowOneTime),
            "permission_deny_button" => Some(DialogButton::Deny),
            "permission_deny_and_dont_ask_again_button" => Some(DialogButton::DenyForever),
            _ => None,
        },
    }
}

/// The permission dialog's window on this release.
pub fn permission_window(
    release: Release,
    width: i32,
    height: i32,
    prompt: &PermissionPrompt<'_>,
) -> Window {
    let root = match release {
        Release::Android9 => packageinstaller_tree(width, height, prompt),
        Release::Android11 | Release::Android14 => {
            permissioncontroller_tree(release, width, height, prompt)
        }
    };
    let pkg = release.permission_controller();
    Window {
        package: pkg.into(),
        title: format!("{pkg}/{}", release.grant_activity()),
        root,
    }
}

/// How many lines a message takes at about this many characters a line
/// (the dump's bounds grow with the wrapped text).
fn lines(text: &str, per_line: usize) -> i32 {
    i32::try_from(text.chars().count().div_ceil(per_line.max(1)))
        .unwrap_or(1)
        .max(1)
}

fn container(class: &str, pkg: &str, r: Rect) -> Node {
    Node::container(class, pkg, r)
}

fn with_id(mut n: Node, id: String) -> Node {
    n.resource_id = id;
    n
}

fn button(id: String, text: &str, r: Rect, pkg: &str, colour: Rgba) -> Node {
    let mut n = Node::container("android.widget.Button", pkg, r);
    n.resource_id = id;
    n.text = text.to_string();
    n.clickable = true;
    n.focusable = true;
    n.style.foreground = colour;
    n.style.border = true;
    n
}

/// The decor around an activity's content: a `FrameLayout` holding a
/// `FrameLayout` holding `android:id/content`, all with the window's
/// bounds (as every real dump of the dialog shows).
fn decor(pkg: &str, r: Rect, content: Node) -> Node {
    let mut id_content = with_id(
        container("android.widget.FrameLayout", pkg, r),
        "android:id/content".into(),
    );
    id_content.children.push(content);
    let mut inner = container("android.widget.FrameLayout", pkg, r);
    inner.children.push(id_content);
    let mut outer = container("android.widget.FrameLayout", pkg, r);
    outer.children.push(inner);
    outer
}

/// Android 9's `com.android.packageinstaller` dialog (AOSP
/// `res/layout/grant_permissions.xml` and `permission_description.xml` at
/// android-9.0.0_r30; structure as in the real packageinstaller dump):
/// a centred card, the message beside the group icon, the checkbox when
/// the group was denied before, and DENY / ALLOW in a right-aligned bar.
fn packageinstaller_tree(w: i32, h: i32, p: &PermissionPrompt<'_>) -> Node {
    let release = Release::Android9;
    let pkg = release.permission_controller();
    let id = |s: &str| format!("{}{s}", release.permission_id_prefix());
    let accent = Rgba([0, 133, 119, 255]);
    // Dimensions at 420 dpi (2.625 px per dp): frame padding 16dp, the
    // description's 18dp top and 20dp/16dp side paddings, a 36dp icon,
    // 48dp buttons and checkbox.
    let status_bar = 63;
    let (left, right) = (42, w - 42);
    let desc_h = 47 + 70 * lines(p.message, 26).max(2);
    let check_h = if p.denied_before { 21 + 126 } else { 0 };
    let bar_h = 10 + 126 + 10;
    let total = desc_h + check_h + bar_h;
    let y0 = (status_bar + h) / 2 - total / 2;
    let window = Rect::new(0, status_bar, w, h);

    let mut card = with_id(
        container(
            "android.widget.LinearLayout",
            pkg,
            Rect::new(left, y0, right, y0 + total),
        ),
        id("dialog_container"),
    );
    card.style.background = Rgba::WHITE;

    let mut desc = with_id(
        container(
            "android.widget.FrameLayout",
            pkg,
            Rect::new(left, y0, right, y0 + desc_h),
        ),
        id("desc_container"),
    );
    let (dl, dr) = (left + 53, right - 42);
    let mut desc_root = with_id(
        container(
            "android.widget.LinearLayout",
            pkg,
            Rect::new(dl, y0 + 47, dr, y0 + desc_h),
        ),
        id("perm_desc_root"),
    );
    desc_root.children.push(with_id(
        container(
            "android.widget.ImageView",
            pkg,
            Rect::new(dl, y0 + 47, dl + 95, y0 + 142),
        ),
        id("permission_icon"),
    ));
    let mut msg = with_id(
        container(
            "android.widget.TextView",
            pkg,
            Rect::new(dl + 95, y0 + 47, dr, y0 + desc_h),
        ),
        id("permission_message"),
    );
    msg.text = p.message.to_string();
    msg.style.text_size = 53.0;
    desc_root.children.push(msg);
    desc.children.push(desc_root);
    card.children.push(desc);

    let lower_top = y0 + desc_h;
    let mut lower = container(
        "android.widget.LinearLayout",
        pkg,
        Rect::new(left, lower_top, right, y0 + total),
    );
    if p.denied_before {
        let mut check = with_id(
            container(
                "android.widget.CheckBox",
                pkg,
                Rect::new(dl, lower_top + 21, dr, lower_top + 147),
            ),
            id("do_not_ask_checkbox"),
        );
        check.text = "Don't ask again".into();
        check.checkable = true;
        check.checked = p.dont_ask_checked;
        check.clickable = true;
        check.focusable = true;
        check.style.foreground = accent;
        lower.children.push(check);
    }
    let bar_top = lower_top + check_h;
    let mut bar = container(
        "android.widget.LinearLayout",
        pkg,
        Rect::new(dl, bar_top, dr, bar_top + bar_h),
    );
    let mut group = with_id(
        container(
            "android.widget.LinearLayout",
            pkg,
            Rect::new(dl + 16, bar_top + 10, dr, bar_top + 136),
        ),
        id("button_group"),
    );
    let bw = 210;
    group.children.push(button(
        id("permission_deny_button"),
        release.deny_text(),
        Rect::new(dr - 2 * bw, bar_top + 10, dr - bw, bar_top + 136),
        pkg,
        accent,
    ));
    let mut allow = button(
        id("permission_allow_button"),
        "Allow",
        Rect::new(dr - bw, bar_top + 10, dr, bar_top + 136),
        pkg,
        accent,
    );
    allow.enabled = !p.dont_ask_checked;
    group.children.push(allow);
    bar.children.push(group);
    lower.children.push(bar);
    card.children.push(lower);

    let mut frame = container("android.view.ViewGroup", pkg, window);
    let mut scroll = container(
        "android.widget.ScrollView",
        pkg,
        Rect::new(left, y0, right, y0 + total),
    );
    scroll.focusable = true;
    scroll.children.push(card);
    frame.children.push(scroll);
    let mut root = decor(pkg, window, frame);
    root.style.background = Rgba([0, 0, 0, 96]);
    root
}

/// The permission controller's dialog of Android 11 and 14 (AOSP
/// `res/layout/grant_permissions.xml`; bounds and nesting as in the real
/// Samsung/Google and AOSP-emulator dumps): anchored at the bottom, the
/// icon over the message, then one full-width button per row.
fn permissioncontroller_tree(release: Release, w: i32, h: i32, p: &PermissionPrompt<'_>) -> Node {
    let pkg = release.permission_controller();
    let id = |s: &str| format!("{}{s}", release.permission_id_prefix());
    let deny_id = if p.denied_before {
        "permission_deny_and_dont_ask_again_button"
    } else {
        "permission_deny_button"
    };
    let mut rows: Vec<(&str, &str)> = Vec::new();
    if p.foreground_only {
        rows.push((
            "permission_allow_foreground_only_button",
            "While using the app",
        ));
        if release.has_one_time() {
            rows.push(("permission_allow_one_time_button", "Only this time"));
        }
    } else {
        rows.push(("permission_allow_button", "Allow"));
    }
    rows.push((deny_id, release.deny_text()));

    // The real dump: the dialog ends 144 px above the bottom (navigation
    // bar); 48 px margins, 108 px buttons every 156 px.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let n = rows.len() as i32;
    // One 47 px line in the real dump; longer messages wrap and push the
    // buttons down.
    let extra = 47 * (lines(p.message, 36) - 1);
    let bottom = h - 144;
    let top = bottom - (407 + 156 * n + extra);
    let window = Rect::new(0, top, w, bottom);

    let mut dialog = with_id(
        container("android.widget.LinearLayout", pkg, window),
        id("grant_dialog"),
    );
    dialog.clickable = true;
    dialog.style.background = Rgba([240, 240, 245, 255]);
    let mut content = with_id(
        container(
            "android.widget.LinearLayout",
            pkg,
            Rect::new(30, top + 48, w - 30, top + 347 + extra),
        ),
        id("content_container"),
    );
    let mut description = container(
        "android.widget.LinearLayout",
        pkg,
        Rect::new(102, top + 120, w - 102, top + 347 + extra),
    );
    description.children.push(with_id(
        container(
            "android.widget.ImageView",
            pkg,
            Rect::new(w / 2 - 54, top + 120, w / 2 + 54, top + 228),
        ),
        id("permission_icon"),
    ));
    let mut msg = with_id(
        container(
            "android.widget.TextView",
            pkg,
            Rect::new(102, top + 252, w - 102, top + 299 + extra),
        ),
        id("permission_message"),
    );
    msg.text = p.message.to_string();
    description.children.push(msg);
    content.children.push(description);
    dialog.children.push(content);

    let by = top + 347 + extra;
    let mut buttons = container(
        "android.widget.LinearLayout",
        pkg,
        Rect::new(30, by, w - 30, by + 156 * n + 12),
    );
    for (i, (bid, text)) in (0..).zip(&rows) {
        buttons.children.push(button(
            id(bid),
            text,
            Rect::new(72, by + 156 * i, w - 72, by + 156 * i + 108),
            pkg,
            Rgba([33, 33, 33, 255]),
        ));
    }
    dialog.children.push(buttons);

    let mut singleton = with_id(
        container("android.widget.LinearLayout", pkg, window),
        id("grant_singleton"),
    );
    singleton.clickable = true;
    singleton.children.push(dialog);
    let mut scroll = container("android.widget.ScrollView", pkg, window);
    scroll.focusable = true;
    scroll.children.push(singleton);
    decor(pkg, window, scroll)
}

/// The "keeps stopping" dialog (`android:id/aerr_*`, as in the real
/// Samsung and Pixel dumps).
pub fn crash_window(w: i32, label: &str) -> Window {
    let mut root = Node::container(
        "android.widget.FrameLayout",
        "android",
        Rect::new(0, 1590, w, 2256),
    );
    root.style.background = Rgba([250, 250, 250, 255]);
    let mut title = Node::container(
        "android.widget.TextView",
        "android",
        Rect::new(102, 1710, w - 102, 1767),
    );
    title.resource_id = "android:id/alertTitle".into();
    title.text = format!("{label} keeps stopping");
    root.children.push(title);
    let black = Rgba([33, 33, 33, 255]);
    root.children.push(button(
        "android:id/aerr_app_info".into(),
        "App info",
        Rect::new(30, 1862, w - 30, 2006),
        "android",
        black,
    ));
    root.children.push(button(
        "android:id/aerr_close".into(),
        "Close app",
        Rect::new(30, 2006, w - 30, 2150),
        "android",
        black,
    ));
    Window {
        package: "android".into(),
        title: format!("Application Error: {label}"),
        root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: &Node) -> Vec<String> {
        n.walk()
            .into_iter()
            .filter(|x| !x.resource_id.is_empty())
            .map(|x| x.resource_id.clone())
            .collect()
    }

    #[test]
    fn each_release_has_its_ids() {
        let p = PermissionPrompt {
            message: "Allow X to record audio?",
            foreground_only: true,
            denied_before: false,
            dont_ask_checked: false,
        };
        let w9 = permission_window(Release::Android9, 1080, 2400, &p);
        assert_eq!(w9.package, "com.android.packageinstaller");
        assert!(
            ids(&w9.root)
                .contains(&"com.android.packageinstaller:id/permission_deny_button".into())
        );
        assert!(!ids(&w9.root).iter().any(|i| i.contains("one_time")));
        let w11 = permission_window(Release::Android11, 1080, 2400, &p);
        let i11 = ids(&w11.root);
        assert!(i11.contains(
            &"com.android.permissioncontroller:id/permission_allow_one_time_button".into()
        ));
        let again = PermissionPrompt {
            denied_before: true,
            ..p
        };
        let w9 = permission_window(Release::Android9, 1080, 2400, &again);
        assert!(
            ids(&w9.root).contains(&"com.android.packageinstaller:id/do_not_ask_checkbox".into())
        );
        let w14 = permission_window(Release::Android14, 1080, 2400, &again);
        assert!(ids(&w14.root).contains(
            &"com.android.permissioncontroller:id/permission_deny_and_dont_ask_again_button".into()
        ));
    }

    #[test]
    fn buttons_map_per_release() {
        use DialogButton::*;
        let r9 = Release::Android9;
        assert_eq!(
            dialog_button(r9, "com.android.packageinstaller:id/do_not_ask_checkbox"),
            Some(DontAskCheckbox)
        );
        assert_eq!(
            dialog_button(
                r9,
                "com.android.permissioncontroller:id/permission_deny_button"
            ),
            None
        );
        assert_eq!(
            dialog_button(
                Release::Android11,
                "com.android.permissioncontroller:id/permission_deny_and_dont_ask_again_button"
            ),
            Some(DenyForever)
        );
    }
}
