"""The detection quickstart's scenes: each object's class is the colour drawn inside its box."""

from __future__ import annotations

import argparse
import random

from paddlemix.quickstart.detection import CATEGORIES, DetectionQuickstart

RED, BLUE = (200, 40, 40), (40, 80, 210)  # datasets/synthetic/rec.py's red and blue, written out here
DRAWN = {"red square": RED, "blue square": BLUE}


def test_every_object_is_a_class_whose_colour_fills_its_box():
    args = argparse.Namespace(min_objects=1, max_objects=3)
    seen = set()
    for i in range(40):
        img, objects = DetectionQuickstart.scene(random.Random(i), args)
        assert 1 <= len(objects) <= 3
        for obj in objects:
            x1, y1, x2, y2 = obj.box
            assert img.getpixel(((x1 + x2) // 2, (y1 + y2) // 2)) == DRAWN[obj.category]
            seen.add(obj.category)
    assert seen == set(CATEGORIES) == {"red square", "blue square"}


def test_min_and_max_objects_bound_the_scene():
    args = argparse.Namespace(min_objects=1, max_objects=1)
    assert all(len(DetectionQuickstart.scene(random.Random(i), args)[1]) == 1 for i in range(20))
