use super::layout::header;
use super::*;
use crate::theme::Theme;

fn item(id: ItemId, category: Category, tokens: u64, label: &str) -> ContextItem {
    ContextItem {
        id,
        category,
        tokens,
        label: label.into(),
        pinned: false,
        dropped: false,
    }
}

/// A report filling `percent` of a 10,000-token window (with a 1,000-token reply reserve).
pub fn report(percent: u64) -> ContextReport {
    let window = 10_000;
    let reserved = 1_000;
    let budget = (window * percent / 100).saturating_sub(reserved);
    let mut items = vec![
        item(
            ItemId::System,
            Category::System,
            400,
            "vibe gear instructions",
        ),
        item(
            ItemId::Memory(0),
            Category::Memory,
            300,
            "project memory: AGENTS.md",
        ),
        item(ItemId::Tools, Category::Tools, 600, "9 tool schemas"),
    ];
    let mut left = budget.saturating_sub(1_300);
    let mut i = 0;
    while left > 0 {
        let (category, label, size) = match i % 3 {
            0 => (Category::User, format!("you: prompt {i}"), 150),
            1 => (
                Category::Assistant,
                format!("model calls read_file ({i})"),
                250,
            ),
            _ => (
                Category::ToolResults,
                format!("result of read_file src/f{i}.rs"),
                900,
            ),
        };
        let t = size.min(left);
        items.push(item(ItemId::Message(i), category, t, &label));
        left -= t;
        i += 1;
    }
    ContextReport {
        items,
        window,
        reserved,
        calibrated: true,
        cache: crate::context::CacheShare::default(),
        delegated: 0,
    }
}

#[test]
fn the_header_shows_the_cache_share() {
    let theme = Theme::load("dark", std::path::Path::new("/none")).unwrap();
    let mut r = report(50);
    let plain: String = header(&r, &theme.styles, 0.8)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(!plain.contains("cache"), "{plain}");
    r.cache = crate::context::CacheShare {
        last_input: 10_000,
        last_cached: 9_300,
        session_input: 40_000,
        session_cached: 30_000,
    };
    let shown: String = header(&r, &theme.styles, 0.8)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(
        shown.contains("cache 93% of the last request (75% of the session)"),
        "{shown}"
    );
    assert!(!shown.contains("subagents"), "{shown}");
    // What the session's subagents held instead of it.
    r.delegated = 38_532;
    let shown: String = header(&r, &theme.styles, 0.8)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(shown.contains("subagents held 38,532 more"), "{shown}");
}

#[test]
fn cells_follow_the_items_then_free_space_then_the_reserve() {
    let r = report(50);
    let cells = ContextView::cells(&r, 100);
    let items = cells.iter().filter(|c| matches!(c, Cell::Item(_))).count();
    let reserved = cells.iter().filter(|c| **c == Cell::Reserved).count();
    let free = cells.iter().filter(|c| **c == Cell::Free).count();
    assert_eq!((items, free, reserved), (40, 50, 10));
    assert_eq!(cells[0], Cell::Item(0), "the system prompt comes first");
    assert_eq!(cells[99], Cell::Reserved);
    // Over the window: the grid is all items and reserve, scaled to fit.
    let mut over = report(50);
    over.items.push(item(
        ItemId::Message(99),
        Category::ToolResults,
        20_000,
        "huge",
    ));
    assert!(over.over());
    let cells = ContextView::cells(&over, 100);
    assert!(!cells.contains(&Cell::Free));
}

#[test]
fn the_list_is_largest_first_and_keys_become_ops() {
    let mut v = ContextView::default();
    v.set_report(report(50));
    let first = v.selected_item().unwrap();
    assert_eq!(first.tokens, 900, "largest first");
    assert_eq!(
        v.toggle_drop(),
        ContextRequest::Send(Op::DropItem {
            item: 2,
            dropped: true
        })
    );
    assert_eq!(
        v.toggle_pin(),
        ContextRequest::Send(Op::PinItem {
            item: 2,
            pinned: true
        })
    );
    // The selection stays on the same item when a new report reorders the list.
    let mut next = report(50);
    next.items[5].tokens = 5_000;
    v.set_report(next);
    assert_eq!(v.selected_item().unwrap().id, ItemId::Message(2));
    // Fixed parts cannot be dropped.
    while v.selected_item().unwrap().id != ItemId::Tools {
        v.step(1);
    }
    assert!(
        matches!(v.toggle_drop(), ContextRequest::Note(n) if n.contains("only conversation messages"))
    );
}
