"""POST /api/v1/parse/ says where each part of the prompt came from."""

from __future__ import annotations

from tests.factories import api_client_for


def _parse(tenant, description):
    response = api_client_for(tenant).post(
        "/api/v1/parse/", {"description": description, "n": 1}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def test_english_words_are_reported_as_the_users_own(no_models, tenant):
    data = _parse(tenant, "a robot barista holding a coffee cup, no text")
    parts = {p["text"]: p for p in data["prompt_parts"]}
    assert parts["robot barista holding a coffee cup"]["origin"] == "your words"
    assert "robot barista holding a coffee cup" in data["prompt"]
    assert "text" not in data["prompt"].split(", ")  # the negated word stays out
    assert data["parsed_attributes"]["role"] == "barista"
    assert data["prompt_cut"] == [] and data["refiner"].startswith("off")


def test_chinese_parts_name_the_dictionary_and_the_source(no_models, tenant):
    data = _parse(tenant, "穿白大褂的医生，拿着听诊器")
    origins = {p["text"]: (p["origin"], p["source"]) for p in data["prompt_parts"]}
    assert origins["stethoscope"] == ("cc-cedict", "听诊器")
    assert origins["lab coat"][0] == "lexicon"
    assert "stethoscope" in data["prompt"] and "lab coat" in data["prompt"]
    assert data["not_understood"] == []


def test_words_no_dictionary_knows_come_back_with_a_reason(no_models, tenant):
    data = _parse(tenant, "a robot with a zorblax")
    assert data["not_understood"][0]["text"] == "zorblax"
    assert data["not_understood"][0]["reason"]
