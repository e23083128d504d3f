// Validates appPackage/manifest.json and each localization file it names against the schemas
// @microsoft/app-manifest ships, with its validator (ajv), so nothing is fetched from the
// internet. It also checks that .ci/schemas/ (what the pytest suite validates against) holds
// the very same schemas, and that broken files fail.
//
//   npm ci --prefix .ci/teams-validator && node .ci/teams-validator/validate.cjs
//
// The manifest goes through AppManifestUtils.validateAgainstSchema as it is. That function
// cannot compile the localization schemas (from v1.8 on): two of their patterns, like
// "^activities.activityTypes\[\b(...)\b]\.description$", are plain JavaScript regular
// expressions but not valid ones in ajv's default unicode mode ("Lone quantifier brackets").
// The localization files therefore get the same ajv set-up the package uses (draft-04, all
// errors, the uri/email/regex formats), with unicode regular expressions off.
"use strict";

const fs = require("fs");
const path = require("path");
const { AppManifestUtils } = require("@microsoft/app-manifest");
const AjvDraft04 = require("ajv-draft-04");
const addFormats = require("ajv-formats");

const root = path.resolve(__dirname, "..", "..");
const appPackage = path.join(root, "appPackage");
const vendored = path.join(root, ".ci", "schemas");
const packageDir = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));
const shipped = path.join(packageDir, "build", "json-schemas");
const { version } = require("@microsoft/app-manifest/package.json");

// https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json
// -> teams/v1.17/MicrosoftTeams.schema.json
const SCHEMA_URL =
  /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}-[a-z]{2}\/)?json-schemas\/(teams\/(v[0-9.]+)\/MicrosoftTeams(\.Localization)?\.schema\.json)$/;

function schemaOf(document) {
  const match = SCHEMA_URL.exec(document.$schema || "");
  if (!match) throw new Error(`$schema is not a Teams schema address: ${document.$schema}`);
  const [, relative, schemaVersion, localization] = match;
  const file = path.join(shipped, relative);
  if (!fs.existsSync(file)) {
    throw new Error(`@microsoft/app-manifest@${version} ships no ${relative}`);
  }
  const text = fs.readFileSync(file, "utf8");
  const copy = path.join(vendored, relative);
  if (!fs.existsSync(copy) || fs.readFileSync(copy, "utf8") !== text) {
    throw new Error(
      `.ci/schemas/${relative} is missing or differs from @microsoft/app-manifest@${version}'s; ` +
        `refresh it: cp ${path.relative(root, file)} .ci/schemas/${relative}`,
    );
  }
  return { relative, schemaVersion, localization: Boolean(localization), schema: JSON.parse(text) };
}

async function errorsOf(document) {
  const { schema, localization } = schemaOf(document);
  if (!localization) return AppManifestUtils.validateAgainstSchema(document, schema);
  const ajv = new AjvDraft04({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const validate = ajv.compile(schema);
  if (validate(document)) return [];
  return validate.errors.map(
    (error) => `${error.instancePath} ${error.message}. Details: ${JSON.stringify(error.params)}`,
  );
}

async function main() {
  const read = (name) => JSON.parse(fs.readFileSync(path.join(appPackage, name), "utf8"));
  const manifest = read("manifest.json");
  const info = manifest.localizationInfo || {};
  const localizations = [
    ...(info.defaultLanguageFile ? [info.defaultLanguageFile] : []),
    ...(info.additionalLanguages || []).map((language) => language.file),
  ];
  let failed = false;
  for (const name of ["manifest.json", ...localizations]) {
    const document = read(name);
    let errors;
    try {
      const { relative, schemaVersion, localization } = schemaOf(document);
      errors = [...(await errorsOf(document))];
      if (localization !== (name !== "manifest.json")) {
        errors.push(`$schema names the wrong kind of schema: ${relative}`);
      }
      // Teams wants the localization files on the manifest's own schema version.
      if (schemaVersion !== `v${manifest.manifestVersion}`) {
        errors.push(`$schema is ${schemaVersion}, manifestVersion is ${manifest.manifestVersion}`);
      }
    } catch (error) {
      errors = [error.message];
    }
    console.log(`${errors.length ? "FAIL" : "ok  "} appPackage/${name} (${document.$schema})`);
    for (const error of errors) console.log(`       ${error}`);
    failed = failed || errors.length > 0;
  }

  // The validator must not pass everything: broken copies have to fail.
  const brokenManifest = structuredClone(manifest);
  brokenManifest.notAField = true;
  brokenManifest.bots[0].commandLists[0].commands[0].title = "x".repeat(33);
  const broken = [["manifest", brokenManifest]];
  if (localizations.length) {
    const brokenLocalization = structuredClone(read(localizations[0]));
    brokenLocalization["bots[0].commandLists[0].commands[10].title"] = "help";
    brokenLocalization["name.short"] = "x".repeat(31);
    broken.push(["localization file", brokenLocalization]);
  }
  for (const [what, document] of broken) {
    if ((await errorsOf(document)).length < 2) {
      console.log(`FAIL the validator accepted a broken ${what}`);
      failed = true;
    }
  }
  console.log(`validated with @microsoft/app-manifest@${version}`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(`FAIL ${error.message || error}`);
  process.exit(1);
});
