import { describe, expect, it } from 'vitest';
import { ClaimMatcher } from '../../src/eval/claims';
import { fixtureGraph } from '../rods/synth/fixture';

const g = fixtureGraph();
const m = new ClaimMatcher(g);
const said = (text: string) => m.verify(text).claims.map((c) => `${c.supported ? '+' : '-'} ${c.text}`);

describe('ClaimMatcher', () => {
  // [think text, claims read with their verdicts]
  const table: [string, string[]][] = [
    ['<think>Asthma presents with wheezing.</think>\n<answer>A</answer>', ['+ Asthma has_symptom Wheezing']],
    ['<think>Asthma presents with wheezing, cough and dyspnea.</think>', ['+ Asthma has_symptom Wheezing', '+ Asthma has_symptom Cough', '+ Asthma has_symptom Dyspnea']],
    ['<think>Asthma presents with fever.</think>', ['- Asthma has_symptom Fever']], // false on the graph
    ['<think>Asthma lacks fever.</think>', ['+ NOT Asthma has_symptom Fever']], // a true absence
    ['<think>Asthma lacks wheezing.</think>', ['- NOT Asthma has_symptom Wheezing']], // a false denial
    ['<think>Fever is not a feature of asthma.</think>', ['+ NOT Asthma has_symptom Fever']], // target first
    ['<think>Asthma causes wheezing and cough and shows reduced FEV1.</think>', ['+ Asthma has_symptom Wheezing', '+ Asthma has_symptom Cough', '+ Asthma has_finding Reduced FEV1']],
    ['<think>Gout is treated with colchicine. Omeprazole is not a treatment for gout.</think>', ['+ Gout treated_by Colchicine', '+ NOT Gout treated_by Omeprazole']],
    ['<think>Spirometry establishes asthma.</think>', ['+ Asthma diagnosed_by Spirometry']],
    ['<think>Metformin presents with fever.</think>', ['- Metformin has_symptom Fever']], // wrong types: unsupported
    ['<think>Fever is not treated with metformin.</think>', ['- NOT Fever treated_by Metformin']], // a vacuous denial (a symptom is not treated): unsupported
    // no claim: hypothesis statements, paraphrases, a single entity
    ['<think>These point to asthma. Asthma is less likely. Asthma is managed with salbutamol.</think>', []],
    ['<answer>B</answer>', []],
  ];
  it.each(table)('verify(%j)', (text, claims) => {
    expect(said(text)).toEqual(claims);
  });

  it('verify() counts supported claims (a denial inside a longer template is one claim, not two)', () => {
    const v = m.verify('<think>Hypertension is treated with amlodipine. Hypertension is not treated with insulin. Asthma lacks wheezing.</think>');
    expect(v.total).toBe(3);
    expect(v.supported).toBe(2);
    expect(v.claims[1].sentence).toBe('Hypertension is not treated with insulin.');
  });
});
