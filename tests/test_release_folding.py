"""Issue 18 point 13: a YAML ``>-`` caption put a space between Chinese characters ("公布， 對創科界"). A line
break YAML folds between two wide characters is dropped, in captions and every folded front-matter text."""

from __future__ import annotations

from pathlib import Path

from pressctl.config import load_workspace
from pressctl.release.load import load_release_set
from pressctl.scaffold import init_workspace

FRONT = """---
title: >-
  海景科學園今日
  開設潮汐能源測試灣
date: 2030-03-12
language: zh-HK
subtitle: 為初創企業
  提供海上測試場地
photos:
  - src: photos/test-bay.jpg
    caption: >-
      圖一：海景科學園今日公布，
      對創科界的支持 with HVSP
      engineers
    alt: "兩名工程師
      把渦輪放進海水"
about: |
  第一行
  第二行
---

正文。
"""


def test_folded_lines_between_chinese_characters_get_no_space(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    path = root / "releases" / "folded.md"
    path.write_text(FRONT, encoding="utf-8")
    (release,) = load_release_set(path, load_workspace(root))
    assert release.title == "海景科學園今日開設潮汐能源測試灣"
    assert release.subtitle == "為初創企業提供海上測試場地"
    photo = release.photos[0]
    # Between two Chinese characters: no space; before Latin words and between them: the space YAML folds.
    assert photo.caption == "圖一：海景科學園今日公布，對創科界的支持 with HVSP engineers"
    assert photo.alt == "兩名工程師把渦輪放進海水"
    assert release.about[0].text.startswith("第一行\n第二行")  # a literal block keeps its lines
