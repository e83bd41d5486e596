//! Comments and docs cite what a reader of the repository can open: never the team's
//! reference notes, which live outside it.

/// Names of the notes kept beside the repository, not in it.
const OUTSIDE: [&str; 4] = [
    "botpress-wire.md",
    "botpress-operations.md",
    "design.md",
    "style.md",
];

fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", "node_modules", ".git"].contains(&name.as_str()) {
                visit(&path, found);
            }
            continue;
        }
        let text_file = ["rs", "md", "yaml", "toml", "mjs", "json"]
            .iter()
            .any(|ext| name.ends_with(&format!(".{ext}")));
        // This file names them to forbid them.
        if !text_file || name == "package-lock.json" || path.ends_with("xtask/src/citations.rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if let Some(note) = OUTSIDE.iter().find(|note| line.contains(*note)) {
                found.push(format!("{}:{}: cites {note}", path.display(), n + 1));
            }
        }
    }
}

#[test]
fn no_source_cites_a_file_outside_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    visit(&root, &mut found);
    assert!(
        found.is_empty(),
        "cite the public source instead:\n{}",
        found.join("\n")
    );
}
